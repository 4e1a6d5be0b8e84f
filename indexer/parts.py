"""What one part of a clerk's manual split says: its own identifiers, type, date and urgency.

Owns the entities a part of a split document is matched and described on.
The page ranges come from the clerk; the part's entities come from the
segmenter's :func:`indexer.matching.split.restrict` (which describes each part
from its own pages), completed here where a part would otherwise lose what its
pages say: a part whose identifiers were only kept at page level (the
document-level lists keep one mention per person) gets its pages' own names,
DOBs and MRNs — its non-cover pages first, else the cover's — and a part made
only of fax cover pages is a fax cover, not the urgent report that followed it.
"""

from __future__ import annotations

from dataclasses import replace

from indexer.matching.split import restrict
from intake.model import Entities, NameMention, PageEntities, ValueMention

COVER_TYPE = "fax_cover"


def _page_identifiers(pages: list[PageEntities]) -> tuple[list[NameMention], list[ValueMention], list[ValueMention]]:
    names = [n for p in pages for n in p.names if n.source == "label"] or [n for p in pages for n in p.names]
    return names, [v for p in pages for v in p.dobs], [v for p in pages for v in p.mrns]


def part_entities(entities: Entities, first: int, last: int) -> Entities:
    """Entities of pages ``first..last`` of a document, as a document of its own."""
    covers = {p.page for p in entities.pages if p.is_cover}
    part = restrict(entities, first, last, covers)
    pages = [p for p in entities.pages if first <= p.page <= last]
    if not (part.patient_names and part.dobs and part.mrns):
        names, dobs, mrns = _page_identifiers([p for p in pages if not p.is_cover])
        if not (names or dobs or mrns):
            names, dobs, mrns = _page_identifiers([p for p in pages if p.is_cover])
        part = replace(part, patient_names=part.patient_names or names, dobs=part.dobs or dobs,
                       mrns=part.mrns or mrns)
    if pages and all(p.is_cover for p in pages) and part.doc_type != COVER_TYPE:
        part = replace(part, doc_type=COVER_TYPE, doc_type_confidence=1.0, loinc=None, urgent=False,
                       urgency_reasons=[])
    return part
