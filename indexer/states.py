"""The named states of Chartfile's records: intake items, documents, review items and filing actions.

Owns the vocabulary stored in the database's state columns as :class:`StrEnum`
members (each compares equal to its stored string, so rows read back as plain
strings still match).  Which intake state may follow which is the ledger's
transition table (:data:`indexer.ledger.TRANSITIONS`); what the search index
holds is :data:`search.schema.INDEXED_STATUSES`.
"""

from __future__ import annotations

from enum import StrEnum


class IntakeState(StrEnum):
    """Where a received source file is in intake (changed only through :func:`indexer.ledger.transition`)."""

    RECEIVING = "receiving"
    RECEIVED = "received"
    PROCESSING = "processing"
    PROCESSED = "processed"
    QUARANTINED = "quarantined"
    DUPLICATE = "duplicate"


class DocumentStatus(StrEnum):
    """Where a document stands: in a chart, waiting for a clerk, rejected, or replaced by its split parts."""

    FILED = "filed"
    REVIEW = "review"
    REJECTED = "rejected"
    SPLIT = "split"


class ReviewState(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class ReviewDecision(StrEnum):
    """How a document came to be where it is (``filings.action``): the matcher's or a clerk's decision."""

    AUTO = "auto"
    FILE = "review"
    REJECT = "reject"
    SPLIT = "split"
    REFILE = "refile"


class Outcome(StrEnum):
    """What became of one source file in a run of the intake service (reported to the caller)."""

    PROCESSED = "processed"
    QUARANTINED = "quarantined"
    DUPLICATE = "duplicate"
    RETRY = "retry"
