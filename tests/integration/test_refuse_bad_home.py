"""Every command but 'init' and 'db upgrade' refuses a folder that is not a ready data home (exit 5, hint)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_chartfile

COMMANDS = [("status",), ("search", "x"), ("review", "list"), ("intake", "list"), ("documents", "export"),
            ("patients", "show", "CF000001"), ("audit", "status"), ("roi", "releases"), ("index", "check"),
            ("watch",), ("archive", "verify"), ("doctor",), ("backup", "/nonexistent/backup"), ("intake", "check")]


@pytest.mark.parametrize("args", COMMANDS)
def test_a_missing_home_is_refused_and_not_created(tmp_path: Path, args: tuple[str, ...]) -> None:
    home = tmp_path / "nowhere"
    r = run_chartfile(home, *args)
    assert r.code == 5, r.err
    assert "No Chartfile data home" in r.err and "chartfile init" in r.err
    assert not home.exists()


def test_a_home_without_a_database_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    r = run_chartfile(home, "status")
    assert r.code == 5 and "chartfile init" in r.err
    assert not (home / "chartfile.db").exists() or (home / "chartfile.db").stat().st_size == 0


@pytest.mark.parametrize("args", [("status",), ("intake", "check"), ("search", "x")])
def test_an_empty_database_file_is_refused_and_left_empty(tmp_path: Path, args: tuple[str, ...]) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "chartfile.db").write_bytes(b"")
    r = run_chartfile(home, *args)
    assert r.code == 5 and "No Chartfile database" in r.err and "chartfile init" in r.err
    assert (home / "chartfile.db").stat().st_size == 0 and sorted(p.name for p in home.iterdir()) == ["chartfile.db"]


def test_a_mistyped_home_is_refused_and_not_created(tmp_path: Path) -> None:
    home = tmp_path / "chartfile-data"
    assert run_chartfile(home, "init").code == 0
    typo = tmp_path / "chartfile-dta"
    for args in (("status",), ("intake", "check"), ("ingest", str(tmp_path))):
        r = run_chartfile(typo, *args)
        assert r.code == 5 and "No Chartfile data home" in r.err, (args, r.err)
    assert not typo.exists()


def test_a_foreign_database_is_refused(tmp_path: Path) -> None:
    import sqlite3

    home = tmp_path / "home"
    home.mkdir()
    with sqlite3.connect(home / "chartfile.db") as conn:
        conn.execute("CREATE TABLE something_else (x INTEGER)")
    r = run_chartfile(home, "review", "list")
    assert r.code == 5 and "not a Chartfile database" in r.err


def test_an_out_of_date_schema_is_refused_until_db_upgrade(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run_chartfile(home, "init").code == 0
    import sqlite3

    from alembic import command
    from sqlalchemy import create_engine

    from indexer.db.engine import alembic_config

    engine = create_engine(f"sqlite:///{home / 'chartfile.db'}")
    acfg = alembic_config(engine)
    with engine.begin() as conn:  # the schema as it was at 0004 (later revisions undone)
        acfg.attributes["connection"] = conn
        command.downgrade(acfg, "0004_search")
    engine.dispose()
    with sqlite3.connect(home / "chartfile.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0003_audit'")
        conn.execute("DROP INDEX ix_documents_indexed_at")
    r = run_chartfile(home, "status")
    assert r.code == 5 and "chartfile db upgrade" in r.err
    assert run_chartfile(home, "db", "upgrade").code == 0
    assert run_chartfile(home, "status").code == 0
    again = run_chartfile(home, "db", "upgrade")
    assert again.code == 0 and "already up to date" in again.out


def test_init_creates_the_home_and_is_idempotent(tmp_path: Path) -> None:
    home = tmp_path / "new"
    assert run_chartfile(home, "init").code == 0
    assert (home / "chartfile.db").is_file() and (home / "index").is_dir() and (home / "chartfile.toml").is_file()
    assert run_chartfile(home, "init").code == 0
    assert run_chartfile(home, "status").code == 0
