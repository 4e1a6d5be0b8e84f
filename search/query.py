"""The clerk query language: parsing what clerks type into an index query.

Owns the syntax — free words, ``"quoted phrases"``, ``-negation`` and the
fields ``patient:``/``name:``, ``mrn:``, ``dob:``, ``type:``, ``from:``,
``provider:``, ``date:``, ``received:``, ``status:``, ``urgent:`` — and what
each one means: typo-tolerant names (see :mod:`search.names`), exact identifiers,
stemmed content, day ranges.  Builds Whoosh query objects; callers outside
:mod:`search` never see them.  Malformed input raises :class:`InputError`
with a hint; nothing here logs query text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from whoosh import query as wq
from whoosh.analysis import STOP_WORDS

from indexer.searchtext import content_terms, name_tokens, phonetic_codes, range_terms
from intake.doctype import DOC_TYPES
from intake.errors import InputError
from search.dateexpr import DayRange, parse_date_range, parse_dob
from search.names import NameVocabulary, max_edits, nickname_variants

MAX_QUERY_CHARS = 500
MAX_CLAUSES = 24
SYNTAX_HINT = ('Examples: chest pain   patient:"jon smyth"   mrn:CF123456   dob:03/04/1961   type:lab   '
               'from:quest   date:2026-03..2026-05   date:"last month"   -type:fax_cover')

FIELDS = {"patient": "patient", "name": "patient", "pt": "patient", "mrn": "mrn", "dob": "dob",
          "birth": "dob", "type": "type", "from": "from", "sender": "from", "provider": "provider",
          "date": "date", "received": "received", "status": "status", "urgent": "urgent"}
TYPE_ALIASES = {
    "lab": "lab_result", "labs": "lab_result", "result": "lab_result", "results": "lab_result",
    "referral": "referral", "referrals": "referral", "roi": "roi_authorization",
    "authorization": "roi_authorization", "release": "roi_authorization", "insurance": "insurance_card",
    "card": "insurance_card", "intake": "intake_form", "form": "intake_form", "rx": "prescription_request",
    "refill": "prescription_request", "prescription": "prescription_request", "imaging": "imaging_report",
    "radiology": "imaging_report", "xray": "imaging_report", "x-ray": "imaging_report",
    "discharge": "discharge_summary", "note": "clinical_note", "notes": "clinical_note",
    "progress": "clinical_note", "cover": "fax_cover", "fax": "fax_cover", "letter": "correspondence",
    "correspondence": "correspondence",
}
STATUSES = ("filed", "review", "rejected")
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}

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


def cap(text: str) -> tuple[str, list[str]]:
    """Trim whitespace and cap very long queries at a word boundary."""
    text = " ".join((text or "").split())
    if len(text) <= MAX_QUERY_CHARS:
        return text, []
    cut = text[:MAX_QUERY_CHARS]
    if cut.count('"') % 2:
        cut = cut[:cut.rfind('"')]
    cut = cut[:cut.rfind(" ")] if " " in cut else cut
    return cut.strip(), [f"The search was shortened to its first {len(cut)} characters."]


def _edit1(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= 2
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def tokenize(text: str) -> list[Clause]:
    """Split a query into clauses; raises InputError for unbalanced quotes or a misspelt field."""
    if text.count('"') % 2:
        raise InputError("The search has an unclosed quote (\").", hint=SYNTAX_HINT)
    clauses: list[Clause] = []
    for m in _TOKEN.finditer(text):
        name, quoted, bare = m["field"], m["quoted"], m["bare"]
        if name is None and bare and bare.endswith(":") and bare[:-1].lower() in FIELDS:
            raise InputError(f"'{bare}' needs a value.", hint=SYNTAX_HINT)
        value = quoted if quoted is not None else bare or ""
        if name is not None and name.lower() not in FIELDS:
            near = [f for f in FIELDS if _edit1(name.lower(), f)]
            if near:
                raise InputError(f"Unknown search field '{name}:'. Did you mean '{near[0]}:'?", hint=SYNTAX_HINT)
            clauses.append(Clause(None, f"{name}:{value}", quoted is not None, bool(m["neg"])))
            continue
        if name is not None and not value.strip():
            raise InputError(f"'{name}:' needs a value.", hint=SYNTAX_HINT)
        clauses.append(Clause(FIELDS[name.lower()] if name else None, value, quoted is not None, bool(m["neg"])))
    return clauses


def name_token_query(token: str, vocab: NameVocabulary | None) -> wq.Query:
    """Everything a clerk might mean by one name word: exact, prefix, typo, sound-alike, nickname.

    With the index's name vocabulary the variants are resolved to exact terms
    (fast); without it Whoosh expands prefix and edit-distance terms itself.
    """
    if len(token) == 1:
        return wq.Prefix("name", token)
    subs: list[wq.Query]
    if vocab is not None:
        subs = [wq.Term("name", w, boost=b) for w, b in sorted(vocab.variants(token).items())]
    else:
        subs = [wq.Term("name", token, boost=6.0), wq.Prefix("name", token, boost=1.5)]
        if len(token) >= 3:
            subs.append(wq.FuzzyTerm("name", token, boost=2.0, maxdist=max_edits(token), prefixlength=1))
        subs.extend(wq.Term("name", n, boost=3.0) for n in sorted(nickname_variants(token)))
    codes = phonetic_codes(token)
    if codes:
        subs.append(wq.Term("name_phon", codes[0], boost=3.0))
    return wq.Or(subs)


def _org_query(value: str, fields: tuple[str, ...]) -> wq.Query:
    tokens = name_tokens(value)
    if not tokens:
        raise InputError(f"Nothing to search for in {value!r}.", hint=SYNTAX_HINT)
    parts = []
    for t in tokens:
        alts: list[wq.Query] = [wq.Term(f, t, boost=2.0) for f in fields]
        if len(t) >= 3:
            alts.extend(wq.Prefix(f, t) for f in fields)
        parts.append(wq.Or(alts))
    return wq.And(parts)


def _type_query(value: str) -> wq.Query:
    key = value.strip().lower().replace(" ", "_")
    if key in DOC_TYPES:
        return wq.Term("doc_type", key)
    if key in TYPE_ALIASES:
        return wq.Term("doc_type", TYPE_ALIASES[key])
    starts = [t for t in DOC_TYPES if t.startswith(key)]
    if starts:
        return wq.Or([wq.Term("doc_type", t) for t in starts])
    raise InputError(f"Unknown document type {value!r}.", hint="Known types: " + ", ".join(DOC_TYPES) + ".")


def _range_query(fieldname: str, days: DayRange) -> wq.Query:
    terms = [wq.Term(fieldname, t) for t in range_terms(days.start, days.end)]
    return wq.Or(terms) if len(terms) > 1 else terms[0]


class QueryBuilder:
    """Turns clauses into one Whoosh query (AND of clauses, minus negated ones)."""

    def __init__(self, mrn_pattern: str, today: date, names: NameVocabulary | None = None) -> None:
        self.mrn_re = re.compile(mrn_pattern, re.IGNORECASE)
        self.today = today
        self.names = names
        self.parsed = ParsedQuery(query=wq.NullQuery, scored=False)

    def build(self, text: str) -> ParsedQuery:
        text, notes = cap(text)
        self.parsed.notes.extend(notes)
        clauses = tokenize(text)
        if len(clauses) > MAX_CLAUSES:
            clauses = clauses[:MAX_CLAUSES]
            self.parsed.notes.append(f"Only the first {MAX_CLAUSES} terms of the search were used.")
        pos: list[wq.Query] = []
        neg: list[wq.Query] = []
        for c in clauses:
            q = self.clause(c)
            if q is not None:
                (neg if c.negate else pos).append(q)
        if not pos and not neg:
            raise InputError("Nothing to search for: the words are too common or empty.", hint=SYNTAX_HINT)
        base: wq.Query = wq.And(pos) if len(pos) > 1 else pos[0] if pos else wq.Every()
        self.parsed.query = wq.AndNot(base, wq.Or(neg)) if neg else base
        self.parsed.bare_words = [c.value for c in clauses if c.field is None and not c.quoted and not c.negate]
        return self.parsed

    def clause(self, c: Clause) -> wq.Query | None:
        kind = c.field or ("phrase" if c.quoted else "text")
        self.parsed.kinds.append(kind)
        value = c.value.strip()
        if c.field is None:
            return self.phrase(value) if c.quoted else self.word(value)
        return getattr(self, "f_" + c.field)(value)

    # ----- free text -------------------------------------------------------
    def word(self, word: str) -> wq.Query | None:
        special = self.identifier(word)
        terms = content_terms(word)
        names = [t for t in name_tokens(word) if t.isalpha() and t not in STOP_WORDS]
        subs: list[wq.Query] = []
        if terms:
            self.parsed.content_terms.update(terms)
            subs.append(wq.Term("content", terms[0]) if len(terms) == 1 else wq.Phrase("content", terms))
        if names and len(names) == 1:
            subs.append(wq.Term("name", names[0], boost=1.5))
            subs.extend(wq.Term(f, names[0], boost=0.5) for f in ("sender_text", "provider_text"))
        if special is not None:
            subs.append(special)
        if not subs:
            self.parsed.notes.append(f"'{word}' is too common to search for and was left out.")
            return None
        self.parsed.scored = True
        return wq.Or(subs) if len(subs) > 1 else subs[0]

    def identifier(self, word: str) -> wq.Query | None:
        """An MRN or a full date typed as free text also matches the MRN / birth date / document date."""
        bare = word.strip(",;.")
        if self.mrn_re.fullmatch(bare):
            return wq.Term("patient_mrn", bare.upper(), boost=4.0)
        if any(ch.isdigit() for ch in bare) and ("/" in bare or "-" in bare):
            try:
                dob = parse_dob(bare, self.today)
            except InputError:
                return None
            if not dob.endswith("-"):
                day = date.fromisoformat(dob)
                return wq.Or([wq.Term("dob", dob, boost=3.0), _range_query("date_terms", DayRange(day, day))])
        return None

    def phrase(self, text: str) -> wq.Query | None:
        terms = content_terms(text)
        names = name_tokens(text)
        subs: list[wq.Query] = []
        if terms:
            self.parsed.content_terms.update(terms)
            subs.append(wq.Term("content", terms[0]) if len(terms) == 1 else wq.Phrase("content", terms))
        if names and len(names) <= 4 and all(t.isalpha() for t in names):
            subs.append(wq.And([wq.Term("name", t, boost=2.0) for t in names]))
        if not subs:
            self.parsed.notes.append(f'"{text}" is too common to search for and was left out.')
            return None
        self.parsed.scored = True
        return wq.Or(subs) if len(subs) > 1 else subs[0]

    # ----- fields ----------------------------------------------------------
    def f_patient(self, value: str) -> wq.Query:
        special = self.identifier(value)
        if special is not None:
            return special
        tokens = name_tokens(value)
        if not tokens:
            raise InputError(f"patient: needs a name, got {value!r}.", hint=SYNTAX_HINT)
        self.parsed.scored = True
        parts = [name_token_query(t, self.names) for t in tokens]
        return wq.And(parts) if len(parts) > 1 else parts[0]

    def f_mrn(self, value: str) -> wq.Query:
        mrn = re.sub(r"[^A-Za-z0-9*]", "", value).upper()
        if not mrn.strip("*"):
            raise InputError(f"mrn: could not read {value!r}.", hint="Type the MRN, e.g. mrn:CF123456.")
        if mrn.endswith("*"):
            return wq.Prefix("patient_mrn", mrn.rstrip("*"))
        return wq.Term("patient_mrn", mrn)

    def f_dob(self, value: str) -> wq.Query:
        dob = parse_dob(value, self.today)
        return wq.Prefix("dob", dob) if dob.endswith("-") else wq.Term("dob", dob)

    def f_type(self, value: str) -> wq.Query:
        return _type_query(value)

    def f_from(self, value: str) -> wq.Query:
        return _org_query(value, ("sender_text", "provider_text"))

    def f_provider(self, value: str) -> wq.Query:
        return _org_query(value, ("provider_text",))

    def f_date(self, value: str) -> wq.Query:
        return _range_query("date_terms", parse_date_range(value, self.today))

    def f_received(self, value: str) -> wq.Query:
        return _range_query("received_terms", parse_date_range(value, self.today))

    def f_status(self, value: str) -> wq.Query:
        status = value.strip().lower()
        if status not in STATUSES:
            raise InputError(f"Unknown status {value!r}.", hint="Use status:filed, status:review or status:rejected.")
        return wq.Term("status", status)

    def f_urgent(self, value: str) -> wq.Query:
        flag = value.strip().lower()
        if flag not in YES | NO:
            raise InputError(f"urgent: expects yes or no, got {value!r}.", hint="Use urgent:yes or urgent:no.")
        return wq.Term("urgent", flag in YES)


def parse_query(text: str, mrn_pattern: str, today: date, names: NameVocabulary | None = None) -> ParsedQuery:
    """Parse a clerk query; raises InputError with a hint when it cannot be understood."""
    return QueryBuilder(mrn_pattern, today, names).build(text)
