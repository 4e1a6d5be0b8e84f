"""Read-only sessions never take SQLite's write lock, and a database URL without its driver is a config error."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from indexer.db.engine import Database
from indexer.db.models import Patient
from intake.config import load_config
from intake.errors import ConfigError, ExitCode


def test_reads_go_on_while_a_writer_holds_the_lock(tmp_path: Path) -> None:
    db = Database(load_config(tmp_path, environ={}))
    db.migrate()
    writer = sqlite3.connect(tmp_path / "chartfile.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process in the middle of a long write
    try:
        started = time.monotonic()
        with db.read() as s:
            assert s.scalar(select(func.count()).select_from(Patient)) == 0
        assert time.monotonic() - started < 5
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        db.dispose()


def test_postgresql_url_without_its_driver_is_a_configuration_error(tmp_path: Path) -> None:
    pytest.importorskip("sqlalchemy")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("the PostgreSQL driver is installed here")
    with pytest.raises(ConfigError) as info:
        Database(load_config(tmp_path, environ={"CHARTFILE_DATABASE_URL": "postgresql+psycopg://u@localhost/x"}))
    assert info.value.exit_code == ExitCode.CONFIG and "chartfile[postgres]" in info.value.hint


def test_status_works_while_a_writer_holds_the_lock(tmp_path: Path) -> None:
    from tests.conftest import run_chartfile

    home = tmp_path / "home"
    assert run_chartfile(home, "init").code == 0
    writer = sqlite3.connect(home / "chartfile.db", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        r = run_chartfile(home, "status", "--json")
        assert r.code == 0, r.err
        assert time.monotonic() - started < 10
    finally:
        writer.execute("ROLLBACK")
        writer.close()
