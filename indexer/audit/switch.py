"""Turning the audit trail off and on — itself always audited.

Owns the persisted switch ``settings['audit.enabled']`` (absent = on).  The
``audit.stop``/``audit.start`` event and the switch change are one transaction:
both happen or neither does, and its commit publishes a checkpoint at once
(fsynced), so a switch-off cannot be hidden afterwards.  Switching off needs a
written reason; the entrypoints also require the admin role.
``CHARTFILE_AUDIT_ENABLED=false`` in the service's environment (never
chartfile.toml, see :mod:`intake.config`) is applied as the same audited change
the next time a command opens the database, and while it is set, ``enable`` is
refused.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from indexer.audit.trail import AUDIT_START, AUDIT_STOP, SWITCH_KEY, head, record, switch_state
from indexer.db.engine import Database
from indexer.db.models import AuditEvent, Setting
from intake.config import Config
from intake.errors import InputError, RefusedError

log = logging.getLogger(__name__)

CONFIG_REASON = "audit_enabled = false in the configuration"
MIN_REASON = 3  # characters: an explanation, not a keystroke


@dataclass
class SwitchChange:
    """What :func:`set_enabled` did."""

    changed: bool
    enabled: bool
    head: tuple[int, str]  # committed chain head afterwards (anchor it)


def _write_switch(session: Session, enabled: bool) -> None:
    row = session.get(Setting, SWITCH_KEY)
    value = "true" if enabled else "false"
    if row is None:
        session.add(Setting(key=SWITCH_KEY, value=value))
    else:
        row.value = value
    session.flush()


def set_enabled(db: Database, enabled: bool, *, actor: str, reason: str = "",
                client: str | None = None) -> SwitchChange:
    """Switch auditing on or off, recording ``audit.start``/``audit.stop`` in the same transaction."""
    reason = " ".join((reason or "").split())
    if not enabled and len(reason) < MIN_REASON:
        raise InputError("switching auditing off needs a reason (recorded in the trail)",
                         hint="e.g. --reason \"storage migration, ticket 42\"")
    with db.transaction() as s:
        current = switch_state(s, lock=True)
        if current == enabled:
            return SwitchChange(False, enabled, head(s))
        detail = (reason or "no reason given")[:500]
        event_type = AUDIT_START if enabled else AUDIT_STOP
        record(s, actor=actor, action="U", event_type=event_type, detail=detail, client=client)
        _write_switch(s, enabled)
        after = head(s)
    log.warning("audit trail switched %s (event seq %d)", "on" if enabled else "off", after[0])
    return SwitchChange(True, enabled, after)


def refuse_enable_if_configured_off(cfg: Config) -> None:
    """Enabling while the configuration says off would be undone at the next start."""
    if not cfg.audit_enabled:
        raise RefusedError(
            "the configuration sets audit_enabled = false",
            hint="Remove CHARTFILE_AUDIT_ENABLED from the service's environment, then run "
                 "'chartfile audit enable'.",
        )


def apply_config(db: Database, cfg: Config, actor: str) -> SwitchChange | None:
    """Apply ``Config.audit_enabled = false`` as an audited switch-off (no-op when on)."""
    if cfg.audit_enabled:
        return None
    with db.session() as s:
        if not switch_state(s):
            return None
    return set_enabled(db, False, actor=actor, reason=CONFIG_REASON)


@dataclass
class SwitchStatus:
    """Facts for ``audit status`` and the consistency check in ``audit verify``."""

    enabled: bool
    last_switch_event: str | None  # audit.start | audit.stop | None
    events: int
    head: tuple[int, str]

    @property
    def consistent(self) -> bool:
        """False when the switch is off without an ``audit.stop`` event (changed behind the app's back)."""
        expected_on = self.last_switch_event != AUDIT_STOP
        return expected_on == self.enabled


def status(session: Session) -> SwitchStatus:
    """Current switch, the last switch event, event count and chain head."""
    last = session.execute(
        select(AuditEvent.event_type)
        .where(AuditEvent.event_type.in_((AUDIT_START, AUDIT_STOP)))
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).scalar_one_or_none()
    count = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    return SwitchStatus(switch_state(session), last, int(count), head(session))
