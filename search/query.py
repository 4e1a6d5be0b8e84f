"""The clerk query language: parsing what clerks type into an index query.

Owns the syntax — free words, ``"quoted phrases"``, ``-negation`` and
``field:value`` / ``field:"several words"`` for the fields ``patient:``
(``name:``), ``mrn:``, ``dob:``, ``type:``, ``from:`` (``sender:``),
``provider:``, ``date:``, ``received:``, ``status:`` and ``urgent:`` — the
length caps, and combining clauses (all must match; negated ones must not).
What each clause means lives in :mod:`search.fields`.  Malformed input raises
:class:`InputError` with a hint; nothing here logs query text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from whoosh import query as wq

from intake.errors import InputError
from search import fields as f
from search.filters import FilterPlan, plan_of
from search.names import NameVocabulary
from search.text import content_terms, word_pairs

MAX_QUERY_CHARS = 500
MAX_WORD_CHARS = 100  # no word in any record is longer; a longer one is a paste gone wrong
MAX_CLAUSES = 24
SYNTAX_HINT = f.HINT

FIELDS = {"patient": "patient", "name": "patient", "pt": "patient", "mrn": "mrn", "dob": "dob",
          "birth": "dob", "type": "type", "from": "from", "sender": "from", "provider": "provider",
          "date": "date", "received": "received", "status": "status", "urgent": "urgent"}
_TOKEN = re.compile(r'(?P<neg>-)?(?:(?P<field>[A-Za-z_]+):\s*)?(?:"(?P<quoted>[^"]*)"|(?P<bare>[^\s"]+))')


@dataclass(frozen=True)
class Clause:
    """One piece of a query: a field (None = free text), its value, quoted or not, negated or not."""

    field: str | None
    value: str
    quoted: bool = False
    negate: bool = False


@dataclass
class ParsedQuery:
    """The Whoosh query plus what the engine needs to present results."""

    query: wq.Query
    scored: bool  # has free text, phrases or names: relevance order makes sense
    content_terms: set[str] = field(default_factory=set)  # stems to highlight in page text
    kinds: list[str] = field(default_factory=list)  # clause kinds, for logs and benchmarks (no values)
    notes: list[str] = field(default_factory=list)
    bare_words: list[str] = field(default_factory=list)  # free words only, for the name fallback
    plan: FilterPlan | None = None  # the same matches as cached sets, when every clause converts
    word_pairs: list[str] = field(default_factory=list)  # free words side by side, when only they rank


def field_list() -> str:
    """The search fields, for error messages."""
    return ", ".join(f"{name}:" for name in FIELDS)


def cap(text: str) -> tuple[str, list[str]]:
    """Trim whitespace and cap very long queries at a word boundary (a single over-long word is an error)."""
    text = " ".join((text or "").split())
    longest = max(text.split(), key=len, default="")
    if len(longest) > MAX_WORD_CHARS:
        raise InputError(f"A word of {len(longest)} characters is too long to search for (at most "
                         f"{MAX_WORD_CHARS}).", hint=SYNTAX_HINT)
    if len(text) <= MAX_QUERY_CHARS:
        return text, []
    cut = text[:MAX_QUERY_CHARS]
    if cut.count('"') % 2:
        cut = cut[:cut.rfind('"')]
    cut = cut[:cut.rfind(" ")] if " " in cut else cut
    return cut.strip(), [f"The search was shortened to its first {len(cut)} characters."]


def _near_miss(a: str, b: str) -> bool:
    """One letter added, dropped, or up to two changed (a swap): ``paitent`` for ``patient``."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= 2
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def tokenize(text: str) -> list[Clause]:
    """Split a query into clauses; raises InputError for unbalanced quotes or an unknown field."""
    if text.count('"') % 2:
        raise InputError("The search has an unclosed quote (\").", hint=SYNTAX_HINT)
    clauses: list[Clause] = []
    for m in _TOKEN.finditer(text):
        name, quoted, bare = m["field"], m["quoted"], m["bare"]
        if name is None and bare and bare.endswith(":") and bare[:-1].lower() in FIELDS:
            raise InputError(f"'{bare}' needs a value.", hint=SYNTAX_HINT)
        value = quoted if quoted is not None else bare or ""
        if name is not None and name.lower() not in FIELDS:
            near = [f for f in FIELDS if len(f) >= 4 and len(name) >= 4 and _near_miss(name.lower(), f)]
            guess = f" Did you mean '{near[0]}:'?" if near else ""
            raise InputError(f"Unknown search field '{name}:'.{guess} The fields are {field_list()}",
                             hint=f'To search for the text itself, put it in quotes: "{name}:{value}".')
        if name is not None and not value.strip():
            raise InputError(f"'{name}:' needs a value.", hint=SYNTAX_HINT)
        clauses.append(Clause(FIELDS[name.lower()] if name else None, value, quoted is not None, bool(m["neg"])))
    return clauses


ANY_RECORD_NUMBER = r"[A-Za-z]{0,3}-?\d{5,10}"


class QueryBuilder:
    """Turns clauses into one Whoosh query (AND of clauses, minus negated ones)."""

    def __init__(self, mrn_pattern: str, today: date, names: NameVocabulary | None = None,
                 include_rejected: bool = False) -> None:
        # no office format set: anything shaped like a record number may be one (it also matches text)
        self.mrn_re = re.compile(mrn_pattern or ANY_RECORD_NUMBER, re.IGNORECASE)
        self.today = today
        self.names = names
        self.include_rejected = include_rejected

    def build(self, text: str) -> ParsedQuery:
        text, notes = cap(text)
        parsed = ParsedQuery(query=wq.NullQuery, scored=False, notes=notes)
        clauses = tokenize(text)
        if len(clauses) > MAX_CLAUSES:
            clauses = clauses[:MAX_CLAUSES]
            parsed.notes.append(f"Only the first {MAX_CLAUSES} terms of the search were used.")
        pos: list[f.Piece] = []
        neg: list[f.Piece] = []
        pieces: list[f.Piece | None] = []
        for c in clauses:
            parsed.kinds.append(c.field or ("phrase" if c.quoted else "text"))
            piece = self.piece(c)
            pieces.append(piece)
            if piece is None:
                parsed.notes.append(f"'{c.value}' is too common to search for and was left out.")
                continue
            (neg if c.negate else pos).append(piece)
            parsed.scored = parsed.scored or (piece.scored and not c.negate)
            if not c.negate:
                parsed.content_terms.update(piece.content_terms)
        if not pos and not neg:
            raise InputError("Nothing to search for: the words are too common or empty.", hint=SYNTAX_HINT)
        if not self.include_rejected:
            neg.append(f.Piece(f.REJECTED))
            if any(c.field == "status" and c.value.strip().lower() == "rejected" for c in clauses):
                parsed.notes.append("Rejected documents are kept in the archive; only an administrator's search "
                                    "with --include-rejected shows them.")
        base: wq.Query = wq.And([p.query for p in pos]) if len(pos) > 1 else pos[0].query if pos else wq.Every()
        parsed.query = wq.AndNot(base, wq.Or([p.query for p in neg])) if neg else base
        parsed.plan = plan_of([p.query for p in pos], [p.query for p in neg])
        parsed.bare_words = [c.value for c in clauses if c.field is None and not c.quoted and not c.negate]
        ranking = [c for c, p in zip(clauses, pieces, strict=True) if p is not None and p.scored and not c.negate]
        if all(c.field is None and not c.quoted for c in ranking):
            parsed.word_pairs = word_pairs([t for c in ranking for t in content_terms(c.value)])
        return parsed

    def piece(self, c: Clause) -> f.Piece | None:
        value = c.value.strip()
        if c.field is None:
            return f.phrase_piece(value) if c.quoted else f.word_piece(value, self.mrn_re, self.today)
        if c.field == "patient":
            return f.patient_piece(value, self.names, self.mrn_re, self.today)
        if c.field in ("date", "received"):
            return f.date_piece(c.field + "_terms", value, self.today)
        if c.field == "dob":
            return f.dob_piece(value, self.today)
        if c.field in ("from", "provider"):
            return f.org_piece(value, ("sender_text", "provider_text") if c.field == "from" else ("provider_text",))
        simple = {"mrn": f.mrn_piece, "type": f.type_piece, "status": f.status_piece, "urgent": f.urgent_piece}
        return simple[c.field](value)


def parse_query(text: str, mrn_pattern: str, today: date, names: NameVocabulary | None = None,
                include_rejected: bool = False) -> ParsedQuery:
    """Parse a clerk query; raises InputError with a hint when it cannot be understood.

    Rejected documents are left out unless ``include_rejected`` (an administrator asked for them).
    """
    return QueryBuilder(mrn_pattern, today, names, include_rejected).build(text)
