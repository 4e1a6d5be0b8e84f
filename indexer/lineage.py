"""Where a document came from: the documents it was split from.

Owns the rule that ties a split part to its parent (``documents.split_from_id``,
or — for parts made before that column existed — the split document of the
same source file whose pages contain the part's).  The access report uses it
so that reads of a fax while it sat in review, before it was split and its
parts filed, count as access to each patient whose part it contained.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.db.models import Document


def parents(s: Session, doc_ids: Iterable[int]) -> set[int]:
    """The documents ``doc_ids`` were split from (one generation)."""
    ids = set(doc_ids)
    if not ids:
        return set()
    rows = s.execute(select(Document.id, Document.intake_item_id, Document.first_page, Document.last_page,
                            Document.split_from_id).where(Document.id.in_(ids))).all()
    out = {r.split_from_id for r in rows if r.split_from_id is not None}
    for r in (r for r in rows if r.split_from_id is None):  # parts made before split_from_id was kept
        out |= set(s.scalars(select(Document.id).where(
            Document.intake_item_id == r.intake_item_id, Document.status == "split", Document.id != r.id,
            Document.first_page <= r.first_page, Document.last_page >= r.last_page)))
    return out - ids


def ancestors(s: Session, doc_ids: Iterable[int]) -> set[int]:
    """Every document ``doc_ids`` descend from by splitting (parents, their parents, ...)."""
    seen: set[int] = set(doc_ids)
    found: set[int] = set()
    level = parents(s, seen)
    while level:
        found |= level
        seen |= level
        level = parents(s, level) - seen
    return found
