"""Text normalisation shared by the search index (writes) and the search engine (queries).

Owns the one definition of how a person's or organisation's name becomes
index terms — exact tokens, phonetic codes (double metaphone) and character
trigrams — and how content words become terms (the content analyzer), so the
indexing side and the query side can never drift apart.  Pure functions, no
I/O.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from whoosh.analysis import Analyzer, StemmingAnalyzer
from whoosh.lang.dmetaphone import double_metaphone
from whoosh.lang.porter import stem

_APOSTROPHES = re.compile(r"['’`´]")
_NAME_SPLIT = re.compile(r"[^\w-]+")
_CONTENT_TOKEN = re.compile(r"\w+(\.?\w+)*")  # whoosh's default RegexTokenizer pattern
_MIN_CONTENT_TOKEN = 2  # StemmingAnalyzer's StopFilter minsize


def fold(text: str) -> str:
    """Lower-case and strip diacritics (Muñoz → munoz, Zoë → zoe)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


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


@lru_cache(maxsize=65536)
def phonetic_codes(token: str) -> tuple[str, ...]:
    """Double-metaphone codes of one name token (primary first); none for initials and numbers."""
    if len(token) < 2 or not token.isalpha():
        return ()
    primary, secondary = double_metaphone(token)
    return tuple(c for c in (primary, secondary) if c)


def trigrams(token: str) -> list[str]:
    """Character trigrams of a token with word-boundary markers: ``jon`` → ``^jo jon on$``."""
    if len(token) < 2:
        return []
    padded = f"^{token}$"
    return [padded[i:i + 3] for i in range(len(padded) - 2)]


def name_index_text(names: list[str]) -> tuple[str, str, str]:
    """(exact tokens, phonetic codes, trigrams) of a patient's names, each space-separated."""
    tokens: list[str] = []
    for name in names:
        tokens.extend(t for t in name_tokens(name) if t not in tokens)
    codes = sorted({c for t in tokens for c in phonetic_codes(t)})
    grams = sorted({g for t in tokens for g in trigrams(t)})
    return " ".join(tokens), " ".join(codes), " ".join(grams)


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


def content_term_spans(text: str) -> list[tuple[str, int, int]]:
    """(term, start, end) of every content word of ``text`` — for snippets and highlighting."""
    from whoosh.analysis import STOP_WORDS

    low = text.lower()  # same length as text for the scripts we see in faxes
    if len(low) != len(text):
        low = text
    out: list[tuple[str, int, int]] = []
    for m in _CONTENT_TOKEN.finditer(low):
        word = m.group(0).lower()
        if len(word) >= _MIN_CONTENT_TOKEN and word not in STOP_WORDS:
            out.append((_stem(word), m.start(), m.end()))
    return out
