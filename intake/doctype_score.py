"""Scoring document types by where their words stand, and fax covers by their structure.

Owns :func:`score_layouts`: every phrase of ``doctypes.toml`` found on a
line counts its weight times the factor of the line's position — a heading
in the top zone of the document's first page (its title) counts most, a
field label or heading elsewhere less, running text less again, a checklist
item ("[ ] Lab results") not at all.  A phrase counts once per document, at
the best place it was found.  Regex patterns count once on the whole text.

Owns :func:`cover_evidence` / :func:`cover_page`: a fax cover sheet is
recognised by its structure — the TO/FROM/FAX/DATE/PAGES/RE field block as
the page's main content, a fax/transmittal title, a page count — not by a
letter that happens to carry a TO or FAX line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from rapidfuzz.distance import Levenshtein

from intake.doctype import DoctypeRules
from intake.layout import Line, PageLayout, Role

COVER_FIELDS = re.compile(
    r"(?i)(?:^|\s|\|)(?P<f>to|from|attn|attention|cc|fax\s*(?:#|no\.?|number)?|phone\s*(?:#|no\.?)?"
    r"|tel|date|pages?|#\s*of\s*pages|no\.?\s*of\s*pages|number of pages|re|subject|regarding"
    r"|message|comments?|notes?)\s*[:#]")
_COVER_TITLE = re.compile(r"(?i)\b(fax|facsimile|transmittal|telecopy|cover\s*sheet|transmission)\b")
_PAGE_COUNT = re.compile(r"(?i)\b(pages?|#\s*of\s*pages)\s*(?:\(?incl[a-z.]*\s*cover\)?)?\s*[:#]?\s*\d"
                         r"|\bincluding (?:this|cover)|\bincl\.? cover")
_FAX_NOTICE = re.compile(r"(?i)(received|receive) this (fax|facsimile|transmission|communication) in error"
                         r"|intended (only )?for the (use of the )?(individual|recipient|person)")
COVER_MIN_EVIDENCE = 7.0
COVER_SURE_EVIDENCE = 11.0  # fields, a fax title and a page count: a cover whatever its letterhead


def _normalise(text: str) -> str:
    return " ".join(text.lower().split())


def _field(name: str) -> str:
    name = name.lower()
    for key in ("fax", "phone", "pages", "page", "comment", "note", "attn", "attention", "#", "no", "number"):
        if name.startswith(key):
            return {"page": "pages", "comment": "message", "note": "message", "attention": "attn",
                    "#": "pages", "no": "pages", "number": "pages"}.get(key, key)
    return {"subject": "re", "regarding": "re", "tel": "phone", "comments": "message"}.get(name, name)


def cover_evidence(layout: PageLayout) -> float:
    """How much the page looks like a fax cover sheet (0 = not at all)."""
    content = layout.content()
    block = content[:18]
    fields: set[str] = set()
    for ln in block:
        fields.update(_field(m.group("f")) for m in COVER_FIELDS.finditer(ln.text))
    score = float(min(len(fields), 7))
    if any(_COVER_TITLE.search(ln.text) for ln in block[:6] if ln.role in (Role.HEADING, Role.OTHER)
           and len(ln.text) < 60):
        score += 3.0
    if any(_PAGE_COUNT.search(ln.text) for ln in block):
        score += 2.0
    if _FAX_NOTICE.search(" ".join(ln.text for ln in content)):
        score += 1.0
    return score


def _body_sentences(layout: PageLayout) -> int:
    """Lines of running text outside the confidentiality notice."""
    count = 0
    for ln in layout.content():
        if re.search(r"(?i)confidential|privileged", ln.text):
            break
        count += ln.role is Role.SENTENCE
    return count


def cover_page(layout: PageLayout, rules: DoctypeRules) -> bool:
    """The page's main content is a fax cover's field block."""
    evidence = cover_evidence(layout)
    if evidence < COVER_MIN_EVIDENCE or _body_sentences(layout) > 6:
        return False
    if evidence >= COVER_SURE_EVIDENCE:
        return True
    scores = score_layouts([layout], rules)
    return scores.get("fax_cover", 0.0) >= max(scores.values())


def _where(line: Line, first_page: bool) -> str:
    if line.role is Role.HEADING and line.top:
        return "title" if first_page else "heading"
    return line.role.value


_FIELD_LABEL = re.compile(r"(?:^|(?<=\s))([A-Za-z][A-Za-z/#&'().\-]*(?:\s[A-Za-z][A-Za-z/#&'().\-]*){0,4})\s?:")


def _parts(line: Line) -> list[tuple[str, str]]:
    """(text, position) pieces of a line: each field label's name and its value weigh differently
    ("Admitted: 02/20/26   Discharged: 02/24/26" holds two labels)."""
    if line.role is not Role.LABEL or ":" not in line.text:
        return [(line.text, line.role.value)]
    pieces: list[tuple[str, str]] = []
    last = 0
    for m in _FIELD_LABEL.finditer(line.text):
        if m.start() > last:
            pieces.append((line.text[last:m.start()], "sentence"))
        pieces.append((m.group(1), "label"))
        last = m.end()
    pieces.append((line.text[last:], "sentence"))
    return pieces


# Types recognised by a form's fields; a letter (salutation and closing) that
# mentions their words ("your member ID", "group number") is not such a form.
FORM_TYPES = ("insurance_card", "intake_form", "fax_cover", "lab_result", "imaging_report")
LETTER_DAMPING = 0.5


def score_layouts(layouts: Sequence[PageLayout], rules: DoctypeRules) -> dict[str, float]:
    """Score of every type for a document's pages."""
    best: dict[tuple[str, int], float] = {}
    for number, layout in enumerate(layouts):
        for line in layout.lines:
            where = _where(line, number == 0)
            pieces = [(line.text, where)] if where in ("title", "heading") else _parts(line)
            for piece, position in pieces:
                factor = rules.factor(position)
                if factor > 0:
                    _score_piece(piece, factor, rules, best, fuzzy=position in FUZZY_POSITIONS)
    out = {rule.name: 0.0 for rule in rules.types}
    for (name, _), value in best.items():
        out[name] += value
    if "fax_cover" in out and layouts:
        out["fax_cover"] += cover_evidence(layouts[0])
    if layouts and layouts[0].letter:
        for name in FORM_TYPES:
            if name in out:
                out[name] *= LETTER_DAMPING
    return out


def _score_piece(piece: str, factor: float, rules: DoctypeRules, best: dict[tuple[str, int], float],
                 fuzzy: bool = False) -> None:
    """Credit every phrase and pattern found in ``piece`` at ``factor`` (keeping the best place).

    With ``fuzzy`` (titles, headings, a letter's opening) a phrase also counts when
    OCR garbled its words a little ("Thank sou for referring").
    """
    norm = _normalise(piece)
    tokens = _TOKEN.findall(norm)
    exact = set(tokens)
    lookup = _lookup(rules)
    near = lookup.near(tokens) if fuzzy else frozenset()
    for word in exact | near:
        for name, i, phrase, regex, weight in lookup.index.get(word, ()):
            found = phrase in norm and regex.search(norm) is not None
            if not found and near and weight >= FUZZY_MIN_WEIGHT:
                words = _phrase_tokens(phrase)
                found = all(w in near for w in words) and fuzzy_contains(words, tokens)
            if found:
                key = (name, i)
                best[key] = max(best.get(key, 0.0), weight * factor)
    for rule in rules.types:
        for j, (pattern, weight) in enumerate(rule.patterns):
            if pattern.search(piece):
                key = (rule.name, -1 - j)
                best[key] = max(best.get(key, 0.0), weight * factor)


_TOKEN = re.compile(r"[a-z0-9]+")
FUZZY_MIN_WEIGHT = 2.0  # only phrases at least this telling are looked for with OCR slips
FUZZY_POSITIONS = ("title", "heading", "lead", "subject")
FUZZY_MIN_CHARS = 7  # short phrases ("hpi", "sig") are matched exactly only


@lru_cache(maxsize=4096)
def _phrase_tokens(phrase: str) -> tuple[str, ...]:
    return tuple(_TOKEN.findall(phrase))


_Indexed = tuple[str, int, str, re.Pattern[str], float]


class _Lookup:
    """Per rule set: every phrase under its first word (a line is checked only for the phrases whose
    first word it holds, or nearly holds with OCR slips), and the words looked for with OCR slips."""

    def __init__(self, rules: DoctypeRules) -> None:
        index: dict[str, list[_Indexed]] = {}
        vocabulary: set[str] = set()
        for rule in rules.types:
            for i, (phrase, regex, weight) in enumerate(rule.phrases):
                words = _phrase_tokens(phrase)
                if words:
                    index.setdefault(words[0], []).append((rule.name, i, phrase, regex, weight))
                if weight >= FUZZY_MIN_WEIGHT:
                    vocabulary.update(words)
        self.index = {k: tuple(v) for k, v in index.items()}
        self.vocabulary = tuple(sorted(vocabulary))
        self._near: dict[str, frozenset[str]] = {}

    def near(self, tokens: list[str]) -> frozenset[str]:
        """The vocabulary words the tokens of a line could be, given OCR slips."""
        out: set[str] = set()
        for t in tokens:
            found = self._near.get(t)
            if found is None:
                found = frozenset(w for w in self.vocabulary if abs(len(w) - len(t)) <= 3 and _close(w, t))
                if len(self._near) < NEAR_CACHE:
                    self._near[t] = found
            out |= found
        return frozenset(out)


NEAR_CACHE = 100_000
_LOOKUPS: dict[int, tuple[DoctypeRules, _Lookup]] = {}


def _lookup(rules: DoctypeRules) -> _Lookup:
    held = _LOOKUPS.get(id(rules))
    if held is None or held[0] is not rules:
        held = (rules, _Lookup(rules))
        _LOOKUPS[id(rules)] = held
    return held[1]


def _close(a: str, b: str) -> bool:
    if a == b:
        return True
    if len(a) < 3 or len(b) < 3:
        return False
    return Levenshtein.distance(a, b, score_cutoff=max(1, len(a) // 4)) <= max(1, len(a) // 4)


def fuzzy_contains(phrase: tuple[str, ...], tokens: list[str]) -> bool:
    """The phrase's words appear in a row in ``tokens``, each within a small OCR edit distance."""
    if not phrase or sum(len(t) for t in phrase) < FUZZY_MIN_CHARS:
        return False
    n = len(phrase)
    return any(all(_close(p, t) for p, t in zip(phrase, tokens[i:i + n], strict=True))
               for i in range(len(tokens) - n + 1))


TITLE_MIN_WEIGHT = 4.0  # a phrase this strong standing as a heading at the top names the document
TITLE_LINES = 7  # content lines at the top where a title stands
_PATIENT_LINE = re.compile(r"(?i)\b(?:dob|d\.o\.b|birth|patient|pt|name|mrn)\b|\d{1,2}[/\-]\d{1,2}[/\-]\d{2,4}")


def title_type(layout: PageLayout, rules: DoctypeRules) -> str | None:
    """The type a title at the top of the page names ("DISCHARGE SUMMARY"), if any."""
    for line in layout.content()[:TITLE_LINES]:
        if _PATIENT_LINE.search(line.text):
            return None  # a title stands above the patient's block; a table header below it is no title
        if line.role is not Role.HEADING:
            continue
        norm = _normalise(line.text)
        tokens = _TOKEN.findall(norm)
        for rule in rules.types:
            weight = sum(w for phrase, regex, w in rule.phrases
                         if (phrase in norm and regex.search(norm))
                         or (w >= FUZZY_MIN_WEIGHT and fuzzy_contains(tuple(_TOKEN.findall(phrase)), tokens)))
            if weight >= TITLE_MIN_WEIGHT:
                return rule.name
    return None
