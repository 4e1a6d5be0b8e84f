"""Text normalisation shared by the search index (writes) and the search engine (queries).

Owns the one definition of how a person's or organisation's name becomes
index terms — exact tokens and phonetic codes (double metaphone); character
trigrams for near-spelling matches — how content words become terms (the
content analyzer) and word pairs (for fast quoted phrases), and how dates
become year/month/day terms, so the indexing side and the query side can
never drift apart.  Folding is :mod:`intake.text`'s, the same the patient
matcher uses.  Pure functions, no I/O.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import lru_cache

from whoosh.analysis import Analyzer, StemmingAnalyzer
from whoosh.lang.porter import stem

from intake.text import fold, phonetic_codes

_APOSTROPHES = re.compile(r"['’`´]")
_NAME_SPLIT = re.compile(r"[^\w-]+")
_CONTENT_TOKEN = re.compile(r"[\w*]+(?:\.?[\w*]+)*")  # whoosh's default RegexTokenizer pattern
_MIN_CONTENT_TOKEN = 2  # StemmingAnalyzer's StopFilter minsize


def name_tokens(text: str) -> list[str]:
    """Exact search tokens of a name: folded, apostrophes dropped, hyphenated parts and whole.

    ``"O'Brien-Smith, Zoë"`` → ``["obrien", "smith", "obriensmith", "zoe"]``.
    """
    out: list[str] = []
    for part in _NAME_SPLIT.split(_APOSTROPHES.sub("", fold(text))):
        pieces = [p for p in part.replace("_", "-").split("-") if p]
        if not pieces:
            continue
        out.extend(pieces)
        if len(pieces) > 1:
            out.append("".join(pieces))
    return list(dict.fromkeys(out))


def trigrams(token: str) -> list[str]:
    """Character trigrams of a token with word-boundary markers: ``jon`` → ``^jo jon on$``."""
    if len(token) < 2:
        return []
    padded = f"^{token}$"
    return [padded[i:i + 3] for i in range(len(padded) - 2)]


def name_index_text(names: list[str]) -> tuple[str, str]:
    """(exact tokens, phonetic codes) of a patient's names, each space-separated."""
    tokens: list[str] = []
    for name in names:
        tokens.extend(t for t in name_tokens(name) if t not in tokens)
    codes = sorted({c for t in tokens for c in phonetic_codes(t)})
    return " ".join(tokens), " ".join(codes)


def org_index_text(text: str) -> str:
    """Search tokens of an organisation or provider name (same normalisation as names)."""
    return " ".join(name_tokens(text))


def content_analyzer() -> Analyzer:
    """The analyzer of document text: word tokens, lower case, stop words out, Porter stems."""
    return StemmingAnalyzer()


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return stem(word)


def content_terms(text: str) -> list[str]:
    """Index terms of a piece of text exactly as :func:`content_analyzer` makes them, stop words kept out."""
    from whoosh.analysis import STOP_WORDS

    return [_stem(w) for w in (m.group(0) for m in _CONTENT_TOKEN.finditer(text.lower()))
            if len(w) >= _MIN_CONTENT_TOKEN and w not in STOP_WORDS]


PAIR_JOIN = "|"  # joins two consecutive content terms into one word-pair term


def word_pairs(terms: list[str]) -> list[str]:
    """Consecutive content terms as pair terms: ``[chest, pain, radiat]`` → ``chest|pain pain|radiat``."""
    return [f"{a}{PAIR_JOIN}{b}" for a, b in zip(terms, terms[1:], strict=False)]


def content_pairs(pages: list[str]) -> str:
    """Every pair of consecutive content terms on each page (not across pages), space-separated."""
    return " ".join(p for page in pages for p in word_pairs(content_terms(page)))


def content_term_set(text: str) -> set[str]:
    """The distinct content terms of a text (fast: unique words are stemmed once)."""
    from whoosh.analysis import STOP_WORDS

    words = set(_CONTENT_TOKEN.findall(text.lower()))
    return {_stem(w) for w in words if len(w) >= _MIN_CONTENT_TOKEN and w not in STOP_WORDS}


def content_terms_found(text: str, terms: set[str] | frozenset[str]) -> set[str]:
    """Which of ``terms`` the text contains: ``content_term_set(text) & terms``, much cheaper.

    Porter stemming never changes a word's first character, so only the words
    starting like one of the terms are stemmed (a snippet asks this of every
    page of every hit).
    """
    from whoosh.analysis import STOP_WORDS

    firsts = {t[:1] for t in terms}
    words = set(_CONTENT_TOKEN.findall(text.lower()))
    return {stemmed for w in words if w[:1] in firsts and len(w) >= _MIN_CONTENT_TOKEN and w not in STOP_WORDS
            and (stemmed := _stem(w)) in terms}


def content_term_spans(text: str, only: set[str] | frozenset[str] | None = None) -> list[tuple[str, int, int]]:
    """(term, start, end) of every content word of ``text`` (only those whose term is in ``only``, if given).

    With ``only``, words that cannot stem to one of its terms (another first
    letter: Porter keeps it) are skipped unstemmed.
    """
    from whoosh.analysis import STOP_WORDS

    low = text.lower()  # same length as text for the scripts we see in faxes
    if len(low) != len(text):
        low = text
    firsts = {t[:1] for t in only} if only is not None else None
    out: list[tuple[str, int, int]] = []
    for m in _CONTENT_TOKEN.finditer(low):
        word = m.group(0).lower()
        if firsts is not None and word[:1] not in firsts:
            continue
        if len(word) >= _MIN_CONTENT_TOKEN and word not in STOP_WORDS:
            term = _stem(word)
            if only is None or term in only:
                out.append((term, m.start(), m.end()))
    return out


# ----- dates as terms ---------------------------------------------------------
EPOCH = date(1970, 1, 1)
FIRST_YEAR = 1900  # open-ended ranges are clamped to these years
LAST_YEAR = 2100


def day_number(d: date) -> int:
    """Days since 1970-01-01 (the sortable column value of a date)."""
    return (d - EPOCH).days


def day_terms(d: date) -> str:
    """Year, month and day terms of a date: ``y2026 m202603 d20260315``."""
    return f"y{d.year} m{d.year}{d.month:02d} d{d.year}{d.month:02d}{d.day:02d}"


def _month_end(d: date) -> date:
    nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def range_terms(start: date | None, end: date | None) -> list[str]:
    """The fewest year/month/day terms that cover ``start..end`` inclusive (open ends clamped)."""
    d = start or date(FIRST_YEAR, 1, 1)
    last = end or date(LAST_YEAR, 12, 31)
    out: list[str] = []
    while d <= last:
        if d.month == 1 and d.day == 1 and date(d.year, 12, 31) <= last:
            out.append(f"y{d.year}")
            d = date(d.year + 1, 1, 1)
        elif d.day == 1 and _month_end(d) <= last:
            out.append(f"m{d.year}{d.month:02d}")
            d = _month_end(d) + timedelta(days=1)
        else:
            out.append(f"d{d.year}{d.month:02d}{d.day:02d}")
            d += timedelta(days=1)
    return out
