"""The ``status`` query: intake counts, queue depth, open review items, pages in the last hour, the inbox.

The inbox part (files waiting, empty files not written yet, entries that are
never taken: links, pipes, folders) is the folder ``watch`` last recorded.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from chartfile.service.actor import Actor
from chartfile.service.office import Office
from chartfile.service.permissions import Action, require
from indexer.db.models import Document, IntakeItem, ReviewItem, utcnow
from indexer.ledger import UNFINISHED_STATES
from indexer.states import IntakeState, ReviewState
from intake.inbox import recorded_inbox, scan_inbox


def status(office: Office, actor: Actor) -> dict[str, Any]:
    """Counts only (no PHI), in the shape ``chartfile status --json`` prints."""
    require(actor, Action.STATUS)
    with office.db.read() as s:
        states = dict(s.execute(select(IntakeItem.state, func.count()).group_by(IntakeItem.state)).all())
        docs = dict(s.execute(select(Document.status, func.count()).group_by(Document.status)).all())
        review = s.scalar(select(func.count()).select_from(ReviewItem).where(ReviewItem.state == ReviewState.OPEN))
        urgent = s.scalar(select(func.count()).select_from(ReviewItem).where(
            ReviewItem.state == ReviewState.OPEN, ReviewItem.urgent.is_(True)))
        pages_hour = s.scalar(select(func.sum(IntakeItem.page_count)).where(
            IntakeItem.finished_at >= utcnow() - timedelta(hours=1))) or 0
    waiting = (IntakeState.RECEIVING, *UNFINISHED_STATES)
    inbox = recorded_inbox(office.home)
    return {"intake": states, "documents": docs, "review_open": review, "review_urgent": urgent,
            "queue_depth": sum(states.get(k, 0) for k in waiting),
            "pages_last_hour": pages_hour, "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "inbox": scan_inbox(inbox).as_dict() if inbox is not None else None}
