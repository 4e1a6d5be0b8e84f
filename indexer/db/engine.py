"""Database engine, sessions and schema migration.

Owns the connection details: SQLite in WAL mode with a busy timeout by
default, any SQLAlchemy URL (PostgreSQL) when configured; and applying the
Alembic migrations (one linear history; :func:`migrate` is the only place that
runs them, from ``chartfile init`` and ``chartfile db upgrade``), and telling
whether a database is a Chartfile database at the current schema
(:func:`schema_state`).  Every process that touches the database gets its
engine from here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
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


# Revisions of the old three-branch history (before it was made linear) -> their linear names.
OLD_REVISIONS = {"0002": "0002_roi", "0003": "0003_audit", "0005_search": "0004_search"}


def head_revision() -> str:
    """The newest revision of the bundled (linear) migration history."""
    heads = ScriptDirectory(str(MIGRATIONS_DIR)).get_heads()
    if len(heads) != 1:
        raise RuntimeError(f"the migration history must have one head, found {sorted(heads)}")
    return heads[0]


def _linear_order() -> list[str]:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def collapse_old_heads(conn: Connection, acfg: AlembicConfig) -> None:
    """Re-stamp a database stamped with the old multi-head history at its linear equivalent.

    The old history had three independent branches off 0001 (0002 ROI, 0003
    audit, 0005 search index).  A database stamped with some of them is
    re-stamped at the last of those in the linear order; a branch it never
    had that comes earlier in the linear order (e.g. a home created before
    the ROI tables existed) is applied on its own first — the old branches
    did not depend on each other, so applying one out of order is what the
    old ``upgrade heads`` did.  The upgrade that follows applies the rest.
    """
    if not inspect(conn).has_table("alembic_version"):
        return
    stamped = {str(r[0]) for r in conn.execute(text("SELECT version_num FROM alembic_version"))}
    if not stamped & set(OLD_REVISIONS) and len(stamped) <= 1:
        return
    applied = {OLD_REVISIONS.get(r, r) for r in stamped} | {"0001"}
    order = _linear_order()
    last = max(order.index(rev) for rev in applied if rev in order)
    current = order[0]
    for rev in order[1:last + 1]:
        if rev not in applied:
            command.stamp(acfg, current, purge=True)
            command.upgrade(acfg, rev)  # only this revision: stamped at the one before it
            log.info("old migration branch %s applied on its own", rev)
        current = rev
    command.stamp(acfg, current, purge=True)
    log.info("old migration heads %s re-stamped as %s", sorted(stamped), current)


def migrate(engine: Engine) -> None:
    """Bring the schema up to date (the one place migrations run)."""
    acfg = alembic_config(engine)
    with engine.begin() as conn:
        acfg.attributes["connection"] = conn
        collapse_old_heads(conn, acfg)
        command.upgrade(acfg, "head")
    log.debug("database schema up to date")


def reader(engine: Engine) -> Engine:
    """The same engine for reading only: its transactions never take SQLite's write lock."""
    return engine.execution_options(**{READ_ONLY: True})


def current_revisions(engine: Engine) -> set[str]:
    """The revisions the database is stamped with (empty when it was never migrated)."""
    with reader(engine).connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return set()
        return {str(r[0]) for r in conn.execute(text("SELECT version_num FROM alembic_version"))}


def schema_state(engine: Engine) -> str:
    """``current``, ``outdated`` (a Chartfile database needing ``db upgrade``), ``empty`` or ``foreign``."""
    revisions = current_revisions(engine)
    if not revisions:
        return "foreign" if inspect(reader(engine)).get_table_names() else "empty"
    return "current" if revisions == {head_revision()} else "outdated"


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
