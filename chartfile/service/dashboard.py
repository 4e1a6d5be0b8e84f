"""The intake status board: queue depth, throughput, auto-file rate and the quarantined files.

Owns the counts the intake page shows (no PHI beyond the quarantined files'
names and reasons, which the ledger list already audits): the ``status``
query, the share of documents of the last seven days that were filed without
a clerk, and the quarantined files with their clerk-readable reasons.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from chartfile.service import intake
from chartfile.service.actor import Actor
from chartfile.service.office import Office
from chartfile.service.permissions import Action, require
from chartfile.service.status import status
from indexer.db.models import Document, Filing, utcnow
from indexer.states import IntakeState, ReviewDecision

RATE_DAYS = 7
QUARANTINE_LIMIT = 100


@dataclass
class Board:
    status: dict[str, Any]
    auto_filed: int
    documents: int
    quarantined: list[intake.IntakeRow]
    quarantined_total: int

    @property
    def auto_file_rate(self) -> float | None:
        return self.auto_filed / self.documents if self.documents else None


def board(office: Office, actor: Actor) -> Board:
    """Everything the intake page shows (the quarantine list is audited as an intake list)."""
    require(actor, Action.STATUS)
    counts = status(office, actor)
    since = utcnow() - timedelta(days=RATE_DAYS)
    with office.db.read() as s:
        docs = s.scalar(select(func.count()).select_from(Document).where(Document.created_at >= since)) or 0
        auto = s.scalar(select(func.count(func.distinct(Filing.document_id))).where(
            Filing.action == ReviewDecision.AUTO, Filing.created_at >= since)) or 0
    rows, total = intake.intake_list(office, actor, states=(IntakeState.QUARANTINED,), limit=QUARANTINE_LIMIT)
    return Board(counts, int(auto), int(docs), rows, total)
