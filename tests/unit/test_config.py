"""Configuration: defaults < chartfile.toml < environment < overrides, with typed values."""

from __future__ import annotations

from pathlib import Path

import pytest

from intake.config import load_config
from intake.errors import ConfigError, ExitCode


def test_defaults_use_sqlite_in_home(tmp_path: Path) -> None:
    cfg = load_config(tmp_path, environ={})
    assert cfg.db_url.startswith("sqlite:///") and cfg.db_url.endswith("chartfile.db")
    assert cfg.index_dir == tmp_path / "index"
    assert cfg.intake.quiet_seconds == 3.0
    assert cfg.audit_enabled is True


def test_file_then_environment_then_overrides(tmp_path: Path) -> None:
    (tmp_path / "chartfile.toml").write_text("[intake]\nquiet_seconds = 7\npolling = true\n")
    cfg = load_config(tmp_path, environ={"CHARTFILE_INTAKE__QUIET_SECONDS": "9.5",
                                         "CHARTFILE_OCR__WORKERS": "3"})
    assert cfg.intake.quiet_seconds == 9.5
    assert cfg.intake.polling is True
    assert cfg.ocr.workers == 3 and cfg.worker_count == 3
    cfg2 = load_config(tmp_path, environ={}, overrides={"match": {"certain_score": 30}})
    assert cfg2.match.certain_score == 30.0 and isinstance(cfg2.match.certain_score, float)


def test_home_from_environment(tmp_path: Path) -> None:
    cfg = load_config(None, environ={"CHARTFILE_HOME": str(tmp_path / "h")})
    assert cfg.home == tmp_path / "h"


@pytest.mark.parametrize("content, env", [
    ("[intake]\nno_such = 1\n", {}),
    ("", {"CHARTFILE_INTAKE__POLLING": "maybe"}),
    ("", {"CHARTFILE_OCR__WORKERS": "many"}),
    ("[intake\n", {}),
    ("[ocr]\nresample = 'nearest'\n", {}),
    ("", {"CHARTFILE_OCR__FAX_DPI": "20"}),
    ("[intake]\nquiet_seconds = -1\n", {}),
    ("", {"CHARTFILE_OCR__WORKERS": "-2"}),
    ("", {"CHARTFILE_MATCH__CERTAIN_SCORE": "nan"}),
    ("", {"CHARTFILE_OCR__TWO_LEVEL_THIN_SHARE": "1.5"}),
    ("[office]\nname = \"Lakeside\\u0000 Clinic\"\n", {}),
    ("[office]\nproviders = [\"Dr. \\u202eAna Ruiz\"]\n", {}),
    ("", {"CHARTFILE_OFFICE__FAX": "555\n0101"}),
    ("audit_enabled = false\n", {}),
    ("[audit]\nkey_file = \"/tmp/k\"\n", {}),
])
def test_bad_settings_raise_config_error(tmp_path: Path, content: str, env: dict[str, str]) -> None:
    (tmp_path / "chartfile.toml").write_text(content)
    with pytest.raises(ConfigError) as exc:
        load_config(tmp_path, environ=env)
    assert exc.value.exit_code == ExitCode.CONFIG
    assert exc.value.hint


def test_every_setting_in_the_init_template_exists(tmp_path: Path) -> None:
    """`chartfile init` writes a commented template; each commented setting, switched on, must load."""
    import re

    from chartfile.cli.core import CONFIG_TEMPLATE

    lines = [re.sub(r"^# (\w+ = )", r"\1", line) for line in CONFIG_TEMPLATE.splitlines()]
    switched_on = [line for line in lines if re.match(r"\w+ = ", line)]
    assert len(switched_on) >= 8
    (tmp_path / "chartfile.toml").write_text("\n".join(lines) + "\n")
    cfg = load_config(tmp_path, environ={})
    assert cfg.ocr.fax_dpi == 250 and cfg.ocr.resample == "bilinear" and cfg.intake.settle_seconds == 0.5
