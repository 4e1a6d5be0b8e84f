"""Text normalisation shared by every stage: the one ``fold``, and the matcher's phonetic code.

Owns how a name or word is reduced for comparison — lower case (casefold),
letters Unicode does not decompose spelled out (ø → o, ß → ss), diacritics
stripped (Núñez → nunez), apostrophes dropped (O'Brien → obrien) — and the
phonetic code the patient matcher scores with (Metaphone).  The matcher
(:mod:`indexer.matching.normalize`) and the search index and its queries
(:mod:`search.text`) both fold with :func:`fold`, so a name folds the same
wherever it is compared.  (Search also keeps the secondary double-metaphone
code, in :mod:`search.text`: moving the matcher onto it is a matching change,
to be measured with ``python -m benchmarks.matching`` first.)  OCR-specific repairs (digits read for letters) are
:mod:`intake.names`' and build on :func:`strip_accents`.  Pure functions.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import jellyfish

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
def phonetic(token: str) -> str:
    """Metaphone code of one (folded) token; '' for an empty one."""
    return jellyfish.metaphone(token) if token else ""
