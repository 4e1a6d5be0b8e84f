"""Pages into documents: where one document of a file ends and the next begins, and what each one is.

Owns :func:`segment`, which reads the per-page evidence the extractor
recorded (:class:`~intake.model.PageEntities`: cover, blank, the document's
own "page k of n", a "(continued)" running header, a letterhead or title at
the top, the patient identifiers printed on the page) and cuts the file into
:class:`~intake.model.DocPart` ranges the way a records clerk indexes a
packet: a cover, then each report, letter or form on its own.  A page with
no title, no counter, no identifiers and no running header is joined to the
document before it but listed as *unproven*, so the filing side sends that
document (or, in a file with several patients, the whole file) to review
instead of letting the page ride along with another patient's document.

Owns :func:`describe`: the type, date, sender, provider and urgency of any
page range, computed from the same stored per-page evidence, so a document
split later by a clerk is described the same way as one split here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from intake import docdate, doctype
from intake.model import DocPart, Entities, PageEntities, ValueMention

STRONG_CONTINUITY = ("continued header",)  # with "page k of n": the page says it continues the document
BLANK_WORDS = 4  # fewer content words than this: a blank back or a page with only a stamp
LATER_PAGE_WEIGHT = 0.5  # a continuation page's words count half as much as the first page's
SHIFT_MIN_SCORE = 20.0  # a page's type evidence this strong on its own...
SHIFT_MARGIN = 2.0  # ...and this many times its rival's: a new kind of document begins


@dataclass
class Described:
    """What a document is, from its pages' evidence."""

    doc_type: str
    confidence: float
    loinc: str | None
    doc_date: str | None
    sender: str | None = None
    provider: str | None = None
    urgent: bool = False
    urgency_reasons: list[str] = field(default_factory=list)
    misdirected: str | None = None


def _blank(p: PageEntities) -> bool:
    return p.is_blank or p.content_words < BLANK_WORDS


def _dobs(p: PageEntities) -> set[str]:
    return {d.value for d in p.dobs}


def _names(p: PageEntities) -> set[tuple[str, str]]:
    return {(n.family.lower(), n.given.lower()) for n in p.names if n.source == "label"}


def _has_identity(p: PageEntities) -> bool:
    return bool(_dobs(p) or _names(p) or p.mrns)


def _same_patient(part: Sequence[PageEntities], p: PageEntities) -> bool | None:
    """True: identifiers agree with the part's; False: they conflict; None: nothing to compare."""
    dobs = set().union(*(_dobs(x) for x in part))
    names = set().union(*(_names(x) for x in part))
    mrns = {m.value for x in part for m in x.mrns if m.scheme == "own"}
    verdicts = []
    if dobs and _dobs(p):
        verdicts.append(bool(dobs & _dobs(p)))
    if names and _names(p):
        verdicts.append(bool(names & _names(p)) or _names_overlap(names, _names(p)))
    own = {m.value for m in p.mrns if m.scheme == "own"}
    if mrns and own:
        verdicts.append(bool(mrns & own))
    if not verdicts:
        return None
    if all(verdicts):
        return True
    return False if not any(verdicts) else None


def _dob_conflict(part: Sequence[PageEntities], p: PageEntities) -> bool:
    dobs = set().union(*(_dobs(x) for x in part))
    return bool(dobs and _dobs(p) and not dobs & _dobs(p))


def _names_overlap(a: set[tuple[str, str]], b: set[tuple[str, str]]) -> bool:
    """Same family name and the same given initial (a nickname, an initial, an OCR slip)."""
    return any(fa == fb and ga[:1] == gb[:1] for fa, ga in a for fb, gb in b)


def _top(scores: dict[str, float]) -> tuple[str, float]:
    return max(scores.items(), key=lambda kv: kv[1], default=("", 0.0))


def _kind(page: PageEntities) -> str:
    return _top(page.type_scores)[0]


def _type_shift(part: list[PageEntities], page: PageEntities) -> bool:
    """The page is plainly another kind of document than the one it follows (a lab report after a
    discharge summary), each by a wide margin on its own page."""
    first = next((p for p in part if not p.is_cover and not _blank(p)), None)
    if first is None:
        return False
    was, was_score = _top(first.type_scores)
    now, now_score = _top(page.type_scores)
    if not was or not now or was == now or min(was_score, now_score) < SHIFT_MIN_SCORE:
        return False
    return (now_score >= SHIFT_MARGIN * page.type_scores.get(was, 0.0)
            and was_score >= SHIFT_MARGIN * first.type_scores.get(now, 0.0))


def _boundary(part: list[PageEntities], page: PageEntities) -> tuple[bool, str]:
    """(starts a new document?, the evidence) for ``page`` after the pages of ``part``."""
    prev = part[-1]
    if page.is_cover:
        return True, "fax cover"
    if prev.is_cover and not _blank(page):
        return True, "first page after a cover"
    if _blank(page):
        return False, "blank page"
    if page.continued:
        return False, "continued header"
    if page.page_of and page.page_of[0] > 1:
        return False, f"page {page.page_of[0]} of {page.page_of[1]}"
    if page.page_of and page.page_of[0] == 1:
        return True, "page 1 of its own"
    last = next((x for x in reversed(part) if x.page_of), None)
    if last is not None and last.page_of and last.page_of[0] == last.page_of[1]:
        return True, "previous document's last page"
    same = _same_patient(part, page)
    if prev.page_of and prev.page_of[0] < prev.page_of[1] and not _dob_conflict(part, page) \
            and not (page.starts and _kind(page) != _kind(part[0])):
        return False, f"page {prev.page_of[0] + 1} of {prev.page_of[1]} expected"
    if same is False:
        return True, "another patient's identifiers"
    if page.starts:
        return True, "letterhead or title"
    if _type_shift(part, page):
        return True, "a different kind of document"
    if same:
        return False, "same patient's identifiers"
    return False, ""  # joined, unproven: a report's header alone may repeat over several patients' pages


def segment(pages: Sequence[PageEntities]) -> list[DocPart]:
    """Cut a file's pages into documents (covers are parts of their own)."""
    parts: list[DocPart] = []
    members: list[list[PageEntities]] = []
    for page in sorted(pages, key=lambda p: p.page):
        if not members:
            members.append([page])
            parts.append(DocPart(page.page, page.page, cover=page.is_cover, starts_with="first page"))
            continue
        new, why = _boundary(members[-1], page)
        if new:
            members.append([page])
            parts.append(DocPart(page.page, page.page, cover=page.is_cover, starts_with=why))
            continue
        members[-1].append(page)
        part = parts[-1]
        part.last = page.page
        part.cover = part.cover and (page.is_cover or _blank(page))
        if not why:
            part.unproven.append(page.page)
        elif why in STRONG_CONTINUITY or why.startswith("page "):
            part.continued.append(page.page)
    return parts


def _dates(ent: Entities, first: int, last: int) -> list[docdate.PageDate]:
    out = []
    for i, v in enumerate(ent.dates):
        if first <= v.page <= last and v.role:
            out.append(_page_date(v, i))
    return out


def _page_date(v: ValueMention, line: int) -> docdate.PageDate:
    try:
        role = docdate.DateRole(v.role or docdate.DateRole.UNLABELLED)
    except ValueError:
        role = docdate.DateRole.UNLABELLED
    return docdate.PageDate(v.value, v.raw, v.page, role, v.label, line)


def describe(ent: Entities, first: int, last: int, rules: doctype.DoctypeRules | None = None) -> Described:
    """Type, date, sender, provider and urgency of pages ``first..last`` of the file."""
    rules = rules or doctype.load_rules()
    pages = [p for p in ent.pages if first <= p.page <= last]
    content = [p for p in pages if not p.is_cover and not _blank(p)]
    covers_only = not content and any(p.is_cover for p in pages)
    body = content or [p for p in pages if not _blank(p)] or pages
    scores: dict[str, float] = {}
    for i, p in enumerate(body):
        weight = 1.0 if i == 0 else LATER_PAGE_WEIGHT
        for name, value in p.type_scores.items():
            scores[name] = scores.get(name, 0.0) + weight * value
    doc_type, confidence, loinc = doctype.decide(scores, rules) if scores else (
        rules.default, 0.5, rules.loinc(rules.default))
    if covers_only:
        doc_type, confidence, loinc = "fax_cover", max(confidence, 0.9), rules.loinc("fax_cover")
    numbers = {p.page for p in body}
    dated = [d for d in _dates(ent, first, last) if d.page in numbers]
    dobs = {d.value for p in pages for d in p.dobs} | {d.value for d in ent.dobs}
    sent = docdate.sending_date(_dates(ent, 0, 10**6))
    doc_date = docdate.choose(dated, doc_type, dobs, sent)
    reasons = sorted({r for p in pages for r in p.urgency})
    return Described(
        doc_type, confidence, loinc, doc_date,
        sender=next((p.sender for p in pages if p.is_cover and p.sender), None)
        or next((p.sender for p in body if p.sender), None),
        provider=next((p.provider for p in body if p.provider), None),
        urgent=bool(reasons), urgency_reasons=reasons,
        misdirected=next((p.misdirected for p in pages if p.misdirected), None))
