"""A consistent copy of the database, and putting it back: SQLite's online backup API, or pg_dump/pg_restore.

Owns the only calls to ``pg_dump``/``pg_restore`` (the connection is passed
in ``PG*`` environment variables, never a password on a command line).  The
SQLite copy is taken by the online backup API in one step, so it is the
state of one moment even while ``watch`` keeps writing, and is left in
rollback-journal mode so the backup is a single file.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from indexer.db.engine import Database
from intake.errors import ConfigError, DependencyError, RefusedError
from intake.spool import FILE_MODE, copy_hashing, make_private_dir

T = TypeVar("T")
SQLITE_FILE = "chartfile.db"
PG_FILE = "chartfile.pgdump"


def kind(db: Database) -> str:
    """``sqlite`` or ``postgresql`` (anything else cannot be backed up here)."""
    name = db.engine.dialect.name
    if name not in ("sqlite", "postgresql"):
        raise ConfigError(f"backups of a {name} database are not supported", hint="Use SQLite or PostgreSQL.")
    return name


def sqlite_path(db: Database) -> Path:
    database = db.engine.url.database
    if not database or database == ":memory:":
        raise ConfigError("the SQLite database has no file to back up")
    return Path(database)


def schema_revision(db: Database) -> str:
    """The Alembic revision(s) of the database ("a+b" when there are several heads)."""
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return "+".join(sorted(str(r) for r in rows))


def _pg_env(url: URL) -> dict[str, str]:
    env = dict(os.environ)
    for var, value in (("PGHOST", url.host), ("PGPORT", url.port), ("PGUSER", url.username),
                       ("PGPASSWORD", url.password), ("PGDATABASE", url.database)):
        if value is not None:
            env[var] = str(value)
    query = url.query.get("host")  # a socket directory given as ?host=/run/postgresql
    if isinstance(query, str):
        env["PGHOST"] = query
    return env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise DependencyError(f"{name} is not installed", hint="Install Debian's postgresql-client package.")
    return path


def dump(db: Database, folder: Path, read: Callable[[Session], T]) -> tuple[str, T]:
    """Write the database copy into ``folder``; ``read`` sees exactly the copied state.

    Returns the copy's file name and what ``read`` returned.  For SQLite
    ``read`` runs on the copy itself; for PostgreSQL in the transaction
    whose exported snapshot ``pg_dump`` copies.
    """
    make_private_dir(folder)
    if kind(db) == "sqlite":
        return SQLITE_FILE, _dump_sqlite(db, folder, read)
    dest = folder / PG_FILE
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = str(conn.execute(text("SELECT pg_export_snapshot()")).scalar_one())
            with Session(bind=conn) as session:
                seen = read(session)
            with open(os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE), "wb") as out:
                done = subprocess.run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                                       f"--snapshot={snapshot}"], env=_pg_env(db.engine.url), stdout=out,
                                      stderr=subprocess.PIPE, check=False)
    if done.returncode != 0:
        raise RefusedError(f"pg_dump failed: {done.stderr.decode(errors='replace').strip()[:300]}",
                           hint="Check that the database is reachable with the configured database_url.")
    return PG_FILE, seen


def _dump_sqlite(db: Database, folder: Path, read: Callable[[Session], T]) -> T:
    dest = folder / SQLITE_FILE
    tmp = folder / f".{SQLITE_FILE}.part"
    tmp.unlink(missing_ok=True)
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    source = sqlite3.connect(f"file:{sqlite_path(db)}?mode=ro", uri=True)
    target = sqlite3.connect(tmp)
    try:
        source.backup(target)  # one step: the state of one moment
        target.execute("PRAGMA journal_mode=DELETE")
        target.commit()
    finally:
        target.close()
        source.close()
    os.chmod(tmp, FILE_MODE)
    os.replace(tmp, dest)
    engine = create_engine(f"sqlite:///{dest}")
    try:
        with Session(engine) as session:
            return read(session)
    finally:
        engine.dispose()


def is_empty(db: Database) -> bool:
    """True when the target database has no tables (a restore never overwrites data)."""
    return not inspect(db.engine).get_table_names()


def load(db: Database, copy: Path, database_kind: str) -> None:
    """Put the database copy into the (empty) configured database."""
    target = kind(db)
    if target != database_kind:
        raise RefusedError(f"the backup holds a {database_kind} database but this home is configured for "
                           f"{target}", hint="Restore into a home configured for the same kind of database.")
    if target == "sqlite":
        path = sqlite_path(db)
        db.dispose()
        if path.exists() and path.stat().st_size > 0:
            raise RefusedError(f"{path} already exists", hint="Restore into an empty data home.")
        for stray in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            stray.unlink(missing_ok=True)
        copy_hashing(copy, path)
        return
    if not is_empty(db):
        raise RefusedError("the target PostgreSQL database is not empty",
                           hint="Create an empty database for the restore (createdb) and point database_url at it.")
    done = subprocess.run([_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
                           f"--dbname={db.engine.url.database}", str(copy)],
                          env=_pg_env(db.engine.url), capture_output=True, check=False)
    if done.returncode != 0:
        raise RefusedError(f"pg_restore failed: {done.stderr.decode(errors='replace').strip()[:300]}",
                           hint="Check the target database and try again into an empty one.")
