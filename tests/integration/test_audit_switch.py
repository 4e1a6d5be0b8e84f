"""Switching auditing off and on is itself audited, honoured by record(), and tied to the configuration."""

from __future__ import annotations

from pathlib import Path

from indexer.audit.context import os_login
from intake.errors import ExitCode
from tests.conftest import run_chartfile
from tests.integration.test_audit_helpers import event_types, events, raw


def _switch_value(home: Path) -> str:
    with raw(home) as conn:
        return str(conn.execute("SELECT value FROM settings WHERE key = 'audit.enabled'").fetchone()[0])


def test_on_by_default(chartfile, home: Path) -> None:  # type: ignore[no-untyped-def]
    assert chartfile("init").code == 0
    assert _switch_value(home) == "true"
    r = chartfile("audit", "status", "--json")
    assert r.code == 0 and '"enabled": true' in r.out


def test_disable_records_stop_then_nothing_until_enable(chartfile, home: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert chartfile("init").code == 0
    assert chartfile("--user", "privacy1", "audit", "disable").code == ExitCode.USAGE  # --reason is required
    for blank in ("", "   ", "x"):
        r = chartfile("--user", "privacy1", "audit", "disable", "--reason", blank)
        assert r.code == ExitCode.INPUT and "needs a reason" in r.err
    r = chartfile("--user", "privacy1", "audit", "disable", "--reason", "storage migration, ticket 42")
    assert r.code == 0 and "OFF" in r.out
    stop = events(home)[-1]
    assert (stop["event_type"], stop["actor"], stop["acting_for"], stop["action"]) == \
        ("audit.stop", os_login(), "privacy1", "U")
    assert stop["detail"] == "storage migration, ticket 42"
    assert _switch_value(home) == "false"
    n = len(events(home))

    assert chartfile("index", "rebuild").code == 0
    assert chartfile("patients", "show", "CF000001").code == ExitCode.NOT_FOUND
    assert chartfile("audit", "disable", "--reason", "again").out.startswith("Auditing is already off")
    assert len(events(home)) == n  # nothing recorded while off

    r = chartfile("--user", "privacy1", "audit", "enable", "--reason", "done")
    assert r.code == 0 and "ON" in r.out
    assert events(home)[-1]["event_type"] == "audit.start"
    assert chartfile("index", "rebuild").code == 0
    assert event_types(home)[-2:] == ["audit.start", "index.rebuild"]
    checkpoints = (home / "audit" / "checkpoints.log").read_text()
    assert "reason=audit.stop" in checkpoints and "reason=audit.start" in checkpoints
    assert chartfile("audit", "verify").code == 0


def test_the_data_homes_config_file_cannot_switch_auditing_off(home: Path) -> None:
    """Whoever can write the data home must not be able to turn the trail off or redirect its key."""
    assert run_chartfile(home, "init").code == 0
    for text in ("audit_enabled = false\n", "[audit]\nkey_file = '/tmp/mine.key'\n",
                 "[audit]\ncheckpoint_dir = '/tmp'\n", "[audit]\nsyslog = false\n"):
        (home / "chartfile.toml").write_text(text)
        r = run_chartfile(home, "index", "rebuild")
        assert r.code == ExitCode.CONFIG and "cannot be set in chartfile.toml" in r.err, (text, r.err)
    (home / "chartfile.toml").write_text("")
    assert "audit.stop" not in event_types(home)


def test_configuration_off_is_applied_as_an_audited_stop(home: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert run_chartfile(home, "init").code == 0
    monkeypatch.setenv("CHARTFILE_AUDIT_ENABLED", "false")
    assert run_chartfile(home, "--user", "admin1", "index", "rebuild").code == 0
    types = event_types(home)
    assert types[-1] == "audit.stop" and "index.rebuild" not in types
    assert "configuration" in events(home)[-1]["detail"]
    r = run_chartfile(home, "audit", "enable")
    assert r.code == ExitCode.REFUSED and "CHARTFILE_AUDIT_ENABLED" in r.err
    assert run_chartfile(home, "index", "rebuild").code == 0
    assert event_types(home).count("audit.stop") == 1  # applied once, not at every start

    monkeypatch.delenv("CHARTFILE_AUDIT_ENABLED")
    assert run_chartfile(home, "index", "rebuild").code == 0
    assert event_types(home)[-1] == "audit.stop"  # config back to default: stays off until enabled
    assert run_chartfile(home, "audit", "enable", "--reason", "config fixed").code == 0
    assert run_chartfile(home, "audit", "verify").code == 0


def test_environment_variable_turns_it_off_too(home: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert run_chartfile(home, "init").code == 0
    monkeypatch.setenv("CHARTFILE_AUDIT_ENABLED", "false")
    assert run_chartfile(home, "index", "rebuild").code == 0
    assert event_types(home)[-1] == "audit.stop"
