"""The audit key file and signed checkpoint lines: created private, never overwritten, checked when loaded."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from indexer.audit.checkpoints import make_line, parse
from indexer.audit.keys import generate, load, load_public, public_path
from intake.errors import ConfigError, InputError, RefusedError

H = "ab" * 32


def test_generate_writes_a_private_key_and_a_public_half(tmp_path: Path) -> None:
    key = generate(tmp_path / "keys" / "audit.key")
    assert (tmp_path / "keys" / "audit.key").stat().st_mode & 0o777 == 0o400
    assert (tmp_path / "keys").stat().st_mode & 0o777 == 0o700
    assert load(key.path).key_id == key.key_id and load(key.path).mac_key == key.mac_key
    assert load_public(public_path(key.path)) == key.public


def test_a_key_is_never_overwritten(tmp_path: Path) -> None:
    generate(tmp_path / "audit.key")
    before = (tmp_path / "audit.key").read_bytes()
    with pytest.raises(RefusedError, match="never replaced"):
        generate(tmp_path / "audit.key")
    assert (tmp_path / "audit.key").read_bytes() == before


def test_a_key_inside_the_data_home_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with pytest.raises(ConfigError, match="inside the data home"):
        generate(home / "keys" / "audit.key", home)
    key = generate(tmp_path / "audit.key")
    with pytest.raises(ConfigError, match="inside the data home"):
        load(key.path, tmp_path)


def test_a_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    key = generate(tmp_path / "audit.key")
    os.chmod(key.path, 0o644)
    with pytest.raises(ConfigError, match="can be read by other accounts"):
        load(key.path)


def test_missing_or_edited_key_files_are_configuration_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist") as info:
        load(tmp_path / "absent.key")
    assert "chartfile audit keygen" in info.value.hint
    key = generate(tmp_path / "audit.key")
    os.chmod(key.path, 0o600)
    key.path.write_text(key.path.read_text().replace(key.key_id, "0" * 16))
    with pytest.raises(ConfigError, match="key id does not match"):
        load(key.path)
    (tmp_path / "junk.pub").write_text("hello\n")
    with pytest.raises(InputError):
        load_public(tmp_path / "junk.pub")


def test_checkpoint_line_round_trip_and_forgery(tmp_path: Path) -> None:
    key = generate(tmp_path / "audit.key")
    line = make_line(key, "0123456789abcdef", 42, H, "2026-01-01T00:00:00.000000Z", "audit.stop")
    cp = parse(f"Dec  3 10:00:00 host chartfile-audit[123]: {line}")
    assert cp is not None and (cp.seq, cp.hash, cp.reason, cp.key_id) == (42, H, "audit.stop", key.key_id)
    assert cp.signature_ok() and cp.signature_ok(key.public)
    other = generate(tmp_path / "other.key")
    assert not cp.signature_ok(other.public)  # signed by the key, not the one pinned
    forged = parse(line.replace(" seq=42 ", " seq=43 "))
    assert forged is not None and not forged.signature_ok()
    assert parse("chartfile-checkpoint v1 trail=zz seq=1") is None
