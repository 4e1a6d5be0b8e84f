"""What each part of a clerk query means, as an index query (and, when exact, a fast filter).

Owns the meaning of free words and phrases (stemmed content, plus names,
senders, MRNs and dates typed without a field) and of each field:
``patient:`` (typo-tolerant names, see :mod:`search.names`), ``mrn:``,
``dob:``, ``type:``, ``from:``/``provider:``, ``date:``/``received:``,
``status:`` and ``urgent:``.  Each returns a :class:`Piece`: the Whoosh query
and whether it ranks documents or only filters them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from whoosh import query as wq
from whoosh.analysis import STOP_WORDS

from intake.doctype import DOC_TYPES
from intake.errors import InputError
from search.dateexpr import DayRange, parse_date_range, parse_dob
from search.names import NameVocabulary, max_edits, nickname_variants
from search.text import content_terms, name_tokens, phonetic_codes, range_terms, word_pairs

TYPE_ALIASES = {
    "lab": "lab_result", "labs": "lab_result", "result": "lab_result", "results": "lab_result",
    "referrals": "referral", "roi": "roi_authorization", "authorization": "roi_authorization",
    "release": "roi_authorization", "insurance": "insurance_card", "card": "insurance_card",
    "intake": "intake_form", "form": "intake_form", "rx": "prescription_request",
    "refill": "prescription_request", "prescription": "prescription_request", "imaging": "imaging_report",
    "radiology": "imaging_report", "xray": "imaging_report", "x-ray": "imaging_report",
    "discharge": "discharge_summary", "note": "clinical_note", "notes": "clinical_note",
    "progress": "clinical_note", "cover": "fax_cover", "fax": "fax_cover", "letter": "correspondence",
}
STATUSES = ("filed", "review", "rejected")
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}
HINT = ('Examples: chest pain   patient:"jon smyth"   mrn:CF123456   dob:03/04/1961   type:lab   '
        'from:quest   date:2026-03..2026-05   date:"last month"   -type:fax_cover')


@dataclass(frozen=True)
class Piece:
    """One clause as an index query; ``scored`` when it ranks documents (words, names), not just filters."""

    query: wq.Query
    scored: bool = False
    content_terms: tuple[str, ...] = field(default=())


def content_query(terms: list[str]) -> wq.Query:
    """Stemmed content terms in this order: a term, or a phrase found through its word pairs.

    A two-word phrase is one pair term (no positions to check); longer ones are
    the pairs plus a positional check, which then only runs on the few
    documents that have every pair.
    """
    if len(terms) == 1:
        return wq.Term("content", terms[0])
    pairs: list[wq.Query] = [wq.Term("content_pairs", p) for p in word_pairs(terms)]
    if len(terms) > 2:
        pairs.append(wq.Phrase("content", terms))
    return wq.And(pairs) if len(pairs) > 1 else pairs[0]


def either(fieldnames: tuple[str, ...], term: str, boost: float = 1.0) -> wq.Query:
    """The term in any of these fields (a chart's MRN/DOB, or one read from a document in review)."""
    return wq.Or([wq.Term(f, term, boost=boost) for f in fieldnames])


#: Rejected documents (misdirected faxes) stay in the archive and the index, but only an administrator's
#: search (``--include-rejected``) shows them: every other search leaves them out.
REJECTED = wq.Term("status", "rejected")


def _terms_query(fieldname: str, terms: list[str]) -> wq.Query:
    queries = [wq.Term(fieldname, t) for t in terms]
    return wq.Or(queries) if len(queries) > 1 else queries[0]


# ----- free text -----------------------------------------------------------
def identifier_piece(word: str, mrn_re: re.Pattern[str], today: date) -> Piece | None:
    """An MRN or a full date typed without a field also matches the MRN / birth date / document date."""
    bare = word.strip(",;.")
    if mrn_re.fullmatch(bare):
        return Piece(either(("patient_mrn", "read_mrn"), bare.upper(), boost=4.0), scored=True)
    if any(ch.isdigit() for ch in bare) and ("/" in bare or "-" in bare):
        try:
            dob = parse_dob(bare, today)
        except InputError:
            return None
        if not dob.endswith("-"):
            day = date.fromisoformat(dob)
            days = _terms_query("date_terms", range_terms(day, day))
            return Piece(wq.Or([either(("dob", "read_dob"), dob, boost=3.0), days]), scored=True)
    return None


def word_piece(word: str, mrn_re: re.Pattern[str], today: date) -> Piece | None:
    """A free word: stemmed content, or a name / sender word, or an MRN or date; None if too common."""
    special = identifier_piece(word, mrn_re, today)
    terms = content_terms(word)
    names = [t for t in name_tokens(word) if t.isalpha() and t not in STOP_WORDS]
    subs: list[wq.Query] = []
    if terms:
        subs.append(content_query(terms))
    if len(names) == 1:
        subs.append(wq.Term("name", names[0], boost=1.5))
        subs.extend(wq.Term(f, names[0], boost=0.5) for f in ("sender_text", "provider_text"))
    if special is not None:
        subs.append(special.query)
    if not subs:
        return None
    return Piece(wq.Or(subs) if len(subs) > 1 else subs[0], scored=True, content_terms=tuple(terms))


def phrase_piece(text: str) -> Piece | None:
    """A quoted phrase: the words in this order in the text, or (2–4 plain words) a patient's full name."""
    terms = content_terms(text)
    names = name_tokens(text)
    subs: list[wq.Query] = []
    if terms:
        subs.append(content_query(terms))
    if names and len(names) <= 4 and all(t.isalpha() for t in names):
        subs.append(wq.And([wq.Term("name", t, boost=2.0) for t in names]))
    if not subs:
        return None
    return Piece(wq.Or(subs) if len(subs) > 1 else subs[0], scored=True, content_terms=tuple(terms))


# ----- patient names ----------------------------------------------------------
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


def patient_piece(value: str, vocab: NameVocabulary | None, mrn_re: re.Pattern[str], today: date) -> Piece:
    special = identifier_piece(value, mrn_re, today)
    if special is not None:
        return special
    tokens = name_tokens(value)
    if not tokens:
        raise InputError(f"patient: needs a name, got {value!r}.", hint=HINT)
    parts = [name_token_query(t, vocab) for t in tokens]
    return Piece(wq.And(parts) if len(parts) > 1 else parts[0], scored=True)


# ----- exact fields (also fast filters) ------------------------------------------
def mrn_piece(value: str) -> Piece:
    mrn = re.sub(r"[^A-Za-z0-9*]", "", value).upper()
    if not mrn.strip("*"):
        raise InputError(f"mrn: could not read {value!r}.", hint="Type the MRN, e.g. mrn:CF123456.")
    if mrn.endswith("*"):
        stem = mrn.rstrip("*")
        return Piece(wq.Or([wq.Prefix(f, stem) for f in ("patient_mrn", "read_mrn")]))
    return Piece(either(("patient_mrn", "read_mrn"), mrn))


def dob_piece(value: str, today: date) -> Piece:
    dob = parse_dob(value, today)
    if dob.endswith("-"):
        return Piece(wq.Or([wq.Prefix(f, dob) for f in ("dob", "read_dob")]))
    return Piece(either(("dob", "read_dob"), dob))


def type_piece(value: str) -> Piece:
    key = value.strip().lower().replace(" ", "_")
    types = [key] if key in DOC_TYPES else [TYPE_ALIASES[key]] if key in TYPE_ALIASES else \
        [t for t in DOC_TYPES if t.startswith(key)]
    if not types:
        raise InputError(f"Unknown document type {value!r}.", hint="Known types: " + ", ".join(DOC_TYPES) + ".")
    return Piece(_terms_query("doc_type", types))


def org_piece(value: str, fields: tuple[str, ...]) -> Piece:
    """Sender or provider words, each word matching a whole word or the start of one."""
    tokens = name_tokens(value)
    if not tokens:
        raise InputError(f"Nothing to search for in {value!r}.", hint=HINT)
    queries: list[wq.Query] = []
    for t in tokens:
        alts: list[wq.Query] = [wq.Term(f, t) for f in fields]
        if len(t) >= 3:
            alts.extend(wq.Prefix(f, t) for f in fields)
        queries.append(wq.Or(alts))
    return Piece(wq.And(queries) if len(queries) > 1 else queries[0])


def date_piece(fieldname: str, value: str, today: date) -> Piece:
    days: DayRange = parse_date_range(value, today)
    return Piece(_terms_query(fieldname, range_terms(days.start, days.end)))


def status_piece(value: str) -> Piece:
    status = value.strip().lower()
    if status not in STATUSES:
        raise InputError(f"Unknown status {value!r}.", hint="Use status:filed or status:review (status:rejected "
                                                           "with --include-rejected, for administrators).")
    return Piece(wq.Term("status", status))


def urgent_piece(value: str) -> Piece:
    flag = value.strip().lower()
    if flag not in YES | NO:
        raise InputError(f"urgent: expects yes or no, got {value!r}.", hint="Use urgent:yes or urgent:no.")
    return Piece(wq.Term("urgent", flag in YES))
