"""Text normalisation shared by every stage: the one ``fold``, and the matcher's phonetic code.

Owns how a name or word is reduced for comparison — lower case (casefold),
letters Unicode does not decompose spelled out (ø → o, ß → ss), diacritics
stripped (Núñez → nunez), apostrophes dropped (O'Brien → obrien) — and the one
phonetic code (double metaphone, both codes).  The matcher
(:mod:`indexer.matching.normalize`, its roster blocking keys) and the search
index and its queries (:mod:`search.text`) both fold with :func:`fold` and
code sounds with :func:`phonetic_codes`, so a name folds and sounds the same
wherever it is compared.  OCR-specific repairs (digits read for letters) are
:mod:`intake.names`' and build on :func:`strip_accents`.  Pure functions.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from whoosh.lang.dmetaphone import double_metaphone

SPECIAL_LETTERS = str.maketrans({"ø": "o", "ß": "ss", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d",
                                 "þ": "th"})
APOSTROPHES = re.compile(r"[’‘'`´ʼ]")


def strip_accents(text: str) -> str:
    """Remove combining marks after canonical decomposition (Zoë → Zoe); case is kept."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case, spell out special letters, strip diacritics and apostrophes.

    ``"O’Brien-Núñez"`` → ``"obrien-nunez"``.
    """
    return APOSTROPHES.sub("", strip_accents(text.casefold().translate(SPECIAL_LETTERS)))


@lru_cache(maxsize=65536)
def phonetic_codes(token: str) -> tuple[str, ...]:
    """Double-metaphone codes of one folded name token (primary first); none for initials and numbers.

    Both codes are kept: ``smiht`` and ``smith`` share only the secondary one.
    """
    if len(token) < 2 or not token.isalpha():
        return ()
    primary, secondary = double_metaphone(token)
    return tuple(dict.fromkeys(c for c in (primary, secondary) if c))
