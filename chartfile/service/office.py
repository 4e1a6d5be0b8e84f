"""The data home as the service layer sees it: the only place that opens the database and the index.

Owns opening an office from the one typed :class:`~intake.config.Config`:
refusing a home that is not ready (no data home, no database, a database
that is not Chartfile's, or one whose schema is out of date) with a fix-it
hint and exit 5 — no command silently creates a data home — and creating
one (:func:`init_home`, for ``chartfile init``) or upgrading its schema
(:func:`upgrade`, for ``chartfile db upgrade``), the only places migrations run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from indexer.audit.switch import apply_config as apply_audit_config
from indexer.db.engine import Database, schema_state
from indexer.filemodes import tighten
from intake.config import CONFIG_FILE, Config
from intake.errors import ConfigError
from intake.spool import make_private_dir, write_text_atomic
from search.store import SearchIndex
from search.writer import rebuild

log = logging.getLogger(__name__)

INIT_HINT = "Run 'chartfile init' to create a data home there, or point --home (or CHARTFILE_HOME) at yours."
UPGRADE_HINT = "Run 'chartfile db upgrade' (back up the data home first)."


@dataclass
class Office:
    """One open data home: configuration, database and search index paths."""

    cfg: Config
    db: Database
    _closed: bool = field(default=False, repr=False)

    @property
    def home(self) -> Path:
        return self.cfg.home

    @property
    def index_dir(self) -> Path:
        return self.cfg.index_dir

    def search_index(self) -> SearchIndex:
        """A handle on the search index folder (opened lazily)."""
        return SearchIndex(self.cfg)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self.db.dispose()


def _is_sqlite(cfg: Config) -> bool:
    return cfg.db_url.startswith("sqlite")


def _sqlite_file(cfg: Config) -> Path | None:
    url = cfg.db_url
    if not url.startswith("sqlite:///"):
        return None
    return Path(url[len("sqlite:///"):])


def check_ready(cfg: Config, db: Database) -> None:
    """Raise ConfigError (exit 5) unless the database is Chartfile's, at the current schema."""
    state = schema_state(db.engine)
    where = cfg.db_url if not _is_sqlite(cfg) else str(_sqlite_file(cfg) or cfg.db_url)
    if state == "empty":
        raise ConfigError(f"No Chartfile database at {where}.", hint=INIT_HINT)
    if state == "foreign":
        raise ConfigError(f"{where} is not a Chartfile database.",
                          hint="Point --home (or CHARTFILE_DATABASE_URL) at a Chartfile data home.")
    if state == "outdated":
        raise ConfigError("The database schema is older than this Chartfile.", hint=UPGRADE_HINT)


def open_office(cfg: Config, actor_name: str = "system") -> Office:
    """Open an existing, up-to-date data home (ConfigError with a fix-it hint otherwise)."""
    if not cfg.home.is_dir():
        raise ConfigError(f"No Chartfile data home at {cfg.home}.", hint=INIT_HINT)
    if _is_sqlite(cfg):
        path = _sqlite_file(cfg)
        if path is not None and (not path.is_file() or path.stat().st_size == 0):
            raise ConfigError(f"No Chartfile database in {cfg.home}.", hint=INIT_HINT)
    db = Database(cfg)
    try:
        check_ready(cfg, db)
        if not cfg.audit_enabled:  # an audited switch-off (indexer.audit.switch)
            apply_audit_config(db, cfg, actor_name)
    except BaseException:
        db.dispose()
        raise
    return Office(cfg, db)


def _folders(cfg: Config) -> tuple[Path, ...]:
    return (cfg.home, cfg.spool_dir, cfg.archive_dir, cfg.quarantine_dir, cfg.exports_dir)


def upgrade(cfg: Config) -> str:
    """Apply the database migrations (``chartfile db upgrade``); returns the schema state before."""
    if not cfg.home.is_dir():
        raise ConfigError(f"No Chartfile data home at {cfg.home}.", hint=INIT_HINT)
    db = Database(cfg)
    try:
        before = schema_state(db.engine)
        if before == "foreign":
            raise ConfigError(f"{cfg.db_url} is not a Chartfile database.",
                              hint="Point --home (or CHARTFILE_DATABASE_URL) at a Chartfile data home.")
        db.migrate()
        return before
    finally:
        db.dispose()


def init_home(cfg: Config, template: str = "", actor_name: str = "system") -> Office:
    """Create (or complete) a data home: migrated database, search index, settings file — all private.

    Folders are 0700 and files 0600; whatever in an existing home others
    could read is made private (:func:`indexer.filemodes.tighten`).
    """
    for folder in _folders(cfg):
        make_private_dir(folder)
    db = Database(cfg)
    try:
        if schema_state(db.engine) == "foreign":
            raise ConfigError(f"{cfg.db_url} is not a Chartfile database.",
                              hint="Point --home (or CHARTFILE_DATABASE_URL) at a Chartfile data home.")
        db.migrate()
        if not cfg.audit_enabled:
            apply_audit_config(db, cfg, actor_name)
    except BaseException:
        db.dispose()
        raise
    index = SearchIndex(cfg)
    if index.needs_rebuild():
        with db.transaction() as s:
            rebuild(s, index)
    cfg_file = cfg.home / CONFIG_FILE
    if template and not cfg_file.exists():
        write_text_atomic(cfg_file, template)
    changed, _ = tighten(cfg.home)  # a home made before (or by hand) becomes private too
    if changed:
        log.warning("init made %d paths in the data home private", changed)
    return Office(cfg, db)
