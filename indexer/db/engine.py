"""Database engine, sessions and schema migration.

Owns the connection details: SQLite in WAL mode with a busy timeout by
default, any SQLAlchemy URL (PostgreSQL) when configured; and applying the
Alembic migrations to ``heads``.  Every process that touches the database
gets its engine from here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from intake.config import Config
from intake.errors import ConfigError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" hook below issue BEGIN IMMEDIATE: a write transaction
    # takes the write lock up front, so read-then-write (audit chain) never hits a
    # stale snapshot, and concurrent processes queue on busy_timeout instead of failing.
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


READ_ONLY = "chartfile_read_only"  # execution option of Database.read() sessions


def _sqlite_begin(conn: Any) -> None:
    # a read-only session begins a deferred transaction: in WAL mode it reads a snapshot and
    # never waits for (or blocks) a writer; everything else takes the write lock up front
    conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_ONLY) else "BEGIN IMMEDIATE")


def make_engine(cfg: Config) -> Engine:
    """Create the engine for the configured database (SQLite WAL by default)."""
    url = cfg.db_url
    if url.startswith("sqlite"):
        cfg.home.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    try:
        return create_engine(url, pool_pre_ping=True)
    except (ArgumentError, ImportError) as exc:  # NoSuchModuleError is an ArgumentError
        scheme = url.split(":", 1)[0]
        raise ConfigError(f"database_url cannot be used ({scheme}): {exc}",
                          hint="For PostgreSQL install the driver: pip install 'chartfile[postgres]' and use "
                               "postgresql+psycopg://user@host/db.") from None


def alembic_config(engine: Engine) -> AlembicConfig:
    """Alembic configuration pointing at the bundled migration scripts."""
    acfg = AlembicConfig()
    acfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # configparser interpolation: a literal '%' (encoded socket path, password) must be doubled
    acfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return acfg


def migrate(engine: Engine) -> None:
    """Bring the schema up to date (all migration branches)."""
    acfg = alembic_config(engine)
    with engine.begin() as conn:
        acfg.attributes["connection"] = conn
        command.upgrade(acfg, "heads")
    log.debug("database schema up to date")


def is_initialised(engine: Engine) -> bool:
    """True when the schema has been created."""
    return inspect(engine).has_table("intake_items")


class Database:
    """Engine plus session factory for one process."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.engine = make_engine(cfg)
        # the configuration travels in every session: audit.record() finds the audit key through it
        self._factory = sessionmaker(self.engine, expire_on_commit=False, info={"chartfile.cfg": cfg})

    def session(self) -> Session:
        return self._factory()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading only: never takes SQLite's write lock, so it works while a writer holds it."""
        with self._factory() as session:
            session.connection(execution_options={READ_ONLY: True})
            yield session

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back on error."""
        with self._factory() as session, session.begin():
            yield session

    def migrate(self) -> None:
        migrate(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()
