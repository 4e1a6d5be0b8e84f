"""Switching auditing off and on is itself audited, honoured by record(), and tied to the configuration."""

from __future__ import annotations

from pathlib import Path

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
    r = chartfile("--user", "privacy1", "audit", "disable", "--reason", "storage migration, ticket 42")
    assert r.code == 0 and "OFF" in r.out
    stop = events(home)[-1]
    assert (stop["event_type"], stop["actor"], stop["action"]) == ("audit.stop", "privacy1", "U")
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
    anchors = (home / "audit" / "anchors.log").read_text()
    assert "audit.stop" in anchors and "audit.start" in anchors
    assert chartfile("audit", "verify").code == 0


def test_configuration_off_is_applied_as_an_audited_stop(home: Path) -> None:
    assert run_chartfile(home, "init").code == 0
    (home / "chartfile.toml").write_text("audit_enabled = false\n")
    assert run_chartfile(home, "--user", "admin1", "index", "rebuild").code == 0
    types = event_types(home)
    assert types[-1] == "audit.stop" and "index.rebuild" not in types
    assert events(home)[-1]["actor"] == "admin1" and "configuration" in events(home)[-1]["detail"]
    r = run_chartfile(home, "audit", "enable")
    assert r.code == ExitCode.REFUSED and "audit_enabled" in r.err
    assert run_chartfile(home, "index", "rebuild").code == 0
    assert event_types(home).count("audit.stop") == 1  # applied once, not at every start

    (home / "chartfile.toml").write_text("")
    assert run_chartfile(home, "index", "rebuild").code == 0
    assert event_types(home)[-1] == "audit.stop"  # config back to default: stays off until enabled
    assert run_chartfile(home, "audit", "enable", "--reason", "config fixed").code == 0
    assert run_chartfile(home, "audit", "verify").code == 0


def test_environment_variable_turns_it_off_too(home: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    assert run_chartfile(home, "init").code == 0
    monkeypatch.setenv("CHARTFILE_AUDIT_ENABLED", "false")
    assert run_chartfile(home, "index", "rebuild").code == 0
    assert event_types(home)[-1] == "audit.stop"
