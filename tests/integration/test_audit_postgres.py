"""PostgreSQL portability of the audit trail (opt-in: set CHARTFILE_TEST_PG_URL to an empty scratch database).

Concurrent writers must never fork the chain (the switch row is locked FOR UPDATE), the append-only
triggers must refuse UPDATE, DELETE and TRUNCATE, and document_ids must be unbounded TEXT.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from indexer.audit import record, set_enabled, verify_trail
from indexer.audit.verify import guards_present
from indexer.db.engine import Database
from intake.config import Config

PG_URL = os.environ.get("CHARTFILE_TEST_PG_URL", "")
pytestmark = pytest.mark.skipif(not PG_URL, reason="set CHARTFILE_TEST_PG_URL to run PostgreSQL tests")


@pytest.fixture
def pg(tmp_path: Path) -> Database:
    db = Database(Config(home=tmp_path, database_url=PG_URL))
    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    db.migrate()
    return db


def test_concurrent_writers_keep_one_chain(pg: Database, tmp_path: Path) -> None:
    def writer(k: int) -> None:
        d = Database(pg.cfg)
        for _ in range(50):
            with d.transaction() as s:
                record(s, actor=f"clerk{k}", action="E", event_type="search", document_ids=range(300), detail="q")
        d.dispose()

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = verify_trail(pg)
    assert result.ok and result.checked == 200, result.problem
    set_enabled(pg, False, actor="admin", reason="test")
    set_enabled(pg, True, actor="admin", reason="test")
    assert verify_trail(pg).ok


def test_triggers_and_column_type(pg: Database) -> None:
    with pg.transaction() as s:
        record(s, actor="a", action="R", event_type="x")
    assert guards_present(pg) is True
    for sql in ("UPDATE audit_events SET detail = 'y'", "DELETE FROM audit_events", "TRUNCATE audit_events"):
        with pytest.raises(Exception, match="append-only"):
            with pg.engine.begin() as conn:
                conn.execute(text(sql))
    with pg.engine.connect() as conn:
        kind = conn.execute(text("SELECT data_type FROM information_schema.columns "
                                 "WHERE table_name = 'audit_events' AND column_name = 'document_ids'")).scalar()
    assert kind == "text"
