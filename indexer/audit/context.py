"""The audit context of a data home: its loaded key, its checkpoint sinks, its trail id.

Owns how :func:`indexer.audit.trail.record` finds the key (through the
configuration a :class:`~indexer.db.engine.Database` puts in every session's
``info``), the per-process cache of loaded keys, and publishing a checkpoint
after a transaction that appended events commits (:func:`after_commit`).
"""

from __future__ import annotations

import logging
import os
import pwd
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from indexer.audit.chain import MacKey
from indexer.audit.checkpoints import Sinks, make_line, publish, trail_id
from indexer.audit.keys import AuditKey, key_path, load
from indexer.db.models import AuditEvent
from intake.config import Config

log = logging.getLogger(__name__)

CFG_INFO = "chartfile.cfg"  # Session.info key set by indexer.db.engine.Database
IDENTITY_INFO = "chartfile.identity"  # optional: who is acting, set by the entrypoint
_PENDING = "chartfile.audit.pending"  # (context, seq, hash, reason, durable) of the uncommitted head


@dataclass
class AuditContext:
    """Everything an audited write needs about its data home."""

    key: AuditKey
    sinks: Sinks
    trails: WeakKeyDictionary[Engine, str] = field(default_factory=WeakKeyDictionary)  # database → trail id

    @property
    def mac(self) -> MacKey:
        return MacKey(self.key.key_id, self.key.mac_key)


_CACHE: dict[tuple[object, ...], AuditContext] = {}
_BY_CONFIG: dict[int, tuple[Config, tuple[object, ...], AuditContext]] = {}  # id → (the config itself, …)
MAX_CONFIGS = 256


def _settings(cfg: Config) -> tuple[object, ...]:
    return cfg.home, cfg.audit.key_file, cfg.audit.checkpoint_dir, cfg.audit.syslog


def for_config(cfg: Config) -> AuditContext:
    """The audit context of ``cfg``, loaded once per configuration object (no file access on later calls)."""
    known = _BY_CONFIG.get(id(cfg))
    if known is not None and known[0] is cfg and known[1] == _settings(cfg):
        return known[2]
    ctx = _load(cfg)
    if len(_BY_CONFIG) > MAX_CONFIGS:  # many short-lived configurations (tests): start afresh
        _BY_CONFIG.clear()
    _BY_CONFIG[id(cfg)] = (cfg, _settings(cfg), ctx)
    return ctx


def _load(cfg: Config) -> AuditContext:
    """The (cached) audit context of ``cfg``; ConfigError when the key is missing or unsafe."""
    path = key_path(cfg)
    try:
        st = path.stat()
        stamp: tuple[int, int] = (st.st_mtime_ns, st.st_ino)
    except OSError:
        stamp = (0, 0)
    cache_key = (str(path), stamp, str(cfg.home.resolve()), cfg.audit.checkpoint_dir, cfg.audit.syslog)
    ctx = _CACHE.get(cache_key)
    if ctx is None:
        ctx = AuditContext(load(path, cfg.home), Sinks.for_home(cfg.home, cfg.audit.checkpoint_dir, cfg.audit.syslog))
        _CACHE[cache_key] = ctx
    return ctx


def for_session(session: Session) -> AuditContext:
    cfg = session.info.get(CFG_INFO)
    if cfg is None:
        raise RuntimeError("audit events can only be recorded in sessions of indexer.db.engine.Database")
    return for_config(cfg)


def trail_of(ctx: AuditContext, session: Session, seq: int, digest: str) -> str:
    """The trail id of the session's database (event 1's hash), cached per database."""
    engine = session.get_bind().engine
    known = ctx.trails.get(engine)
    if known is None:
        first = digest if seq == 1 else session.connection().execute(
            select(AuditEvent.hash).where(AuditEvent.seq == 1)).scalar_one_or_none()
        known = trail_id(first or digest)
        ctx.trails[engine] = known
    return known


def now_iso() -> str:
    """UTC now as stored in ``audit_events.ts`` and checkpoints (ISO-8601, microseconds, ``Z``)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_LOGIN: list[str] = []


def os_login() -> str:
    """The operating-system account this process runs as (not $USER, which anyone can set)."""
    if not _LOGIN:
        try:
            _LOGIN.append(pwd.getpwuid(os.geteuid()).pw_name)
        except KeyError:
            _LOGIN.append(f"uid{os.geteuid()}")
    return _LOGIN[0]


_IDENTITY: ContextVar[dict[str, str | None] | None] = ContextVar("chartfile_audit_identity", default=None)


def set_identity(*, acting_for: str | None, channel: str | None, role: str | None) -> None:
    """Who is acting in this context (a CLI run, a web request): recorded with every event it writes."""
    _IDENTITY.set({"acting_for": acting_for, "channel": channel, "role": role})


def identity(session: Session) -> dict[str, Any]:
    """Who the entrypoint says is acting (``acting_for``, ``channel``, ``role``): the session's, else the context's."""
    value = session.info.get(IDENTITY_INFO) or _IDENTITY.get()
    return dict(value) if isinstance(value, dict) else {}


def mark_pending(session: Session, ctx: AuditContext, seq: int, digest: str, reason: str = "commit",
                 durable: bool = False) -> None:
    """Remember the uncommitted head so :func:`after_commit` publishes it."""
    earlier = session.info.get(_PENDING)
    durable = durable or bool(earlier and earlier[4])
    if earlier and earlier[3] != "commit":
        reason = earlier[3]
    session.info[_PENDING] = (ctx, seq, digest, reason, durable, trail_of(ctx, session, seq, digest))


def after_commit(session: Session) -> None:
    """Publish the head the committed transaction appended (nothing when it appended none)."""
    pending = session.info.pop(_PENDING, None)
    if pending is None:
        return
    ctx, seq, digest, reason, durable, trail = pending
    try:
        publish(ctx.sinks, make_line(ctx.key, trail, seq, digest, now_iso(), reason), durable=durable)
    except Exception:  # noqa: BLE001 - the transaction is committed; a lost checkpoint is logged, not raised
        log.exception("audit checkpoint for seq %d could not be published", seq)


def after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def publish_head(cfg: Config, session: Session, reason: str) -> tuple[int, str] | None:
    """Publish a checkpoint of the committed head now (``audit anchor``); None for an empty trail."""
    ctx = for_config(cfg)
    row = session.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).first()
    if row is None:
        return None
    seq, digest = int(row[0]), str(row[1])
    line = make_line(ctx.key, trail_of(ctx, session, seq, digest), seq, digest, now_iso(), reason)
    failed = publish(ctx.sinks, line, durable=True)
    if failed:
        from intake.errors import ConfigError

        raise ConfigError(f"the checkpoint could not be written to {', '.join(failed)}",
                          hint="Check that the folder exists and the service account may write to it.")
    return seq, digest
