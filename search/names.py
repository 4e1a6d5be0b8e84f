"""Typo-tolerant patient names: expanding what a clerk typed into names that exist.

Owns matching one typed name word against the *vocabulary* of indexed name
words (read once per index generation): exact, nickname → formal name
(``bob`` → robert), edit distance (``smiht`` → smith), character-trigram
overlap (``jhonson`` → johnson) and prefix (``mart`` → martin, martinez).
Sound-alikes (``smyth`` → smith) come from the index's double-metaphone
field.  Expanding against the vocabulary keeps the index query to a handful
of exact terms, which is what makes name searches fast at 100,000 documents.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Iterable
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from search.text import trigrams

WEIGHT_EXACT = 6.0
WEIGHT_NICKNAME = 3.0
WEIGHT_EDIT = 2.0
WEIGHT_TRIGRAM = 1.5
WEIGHT_PREFIX = 1.5
MAX_PREFIX = 40  # prefix expansions kept per word (shortest names first)
MIN_TRIGRAM_SIMILARITY = 0.5  # Jaccard overlap of boundary-marked trigrams


@lru_cache(maxsize=1)
def _nicknamer() -> object | None:
    try:
        from nicknames import NickNamer
    except ImportError:  # optional: names still match exactly, by sound and by spelling
        return None
    return NickNamer()


def nickname_variants(token: str) -> set[str]:
    """Formal names a nickname stands for (``bob`` → robert, ``jon`` → john, jonathan)."""
    namer = _nicknamer()
    if namer is None or len(token) < 2:
        return set()
    return {n for n in namer.canonicals_of(token) if n.isalpha()} - {token}  # type: ignore[attr-defined]


def max_edits(token: str) -> int:
    return 1 if len(token) <= 4 else 2


class NameVocabulary:
    """The distinct name words in the index, with lookups for near matches."""

    def __init__(self, words: Iterable[str]) -> None:
        self.words = sorted(set(words))
        self._known = set(self.words)
        self._grams: dict[str, list[int]] | None = None

    def __len__(self) -> int:
        return len(self.words)

    def _gram_index(self) -> dict[str, list[int]]:
        if self._grams is None:
            grams: dict[str, list[int]] = defaultdict(list)
            for i, w in enumerate(self.words):
                for g in set(trigrams(w)):
                    grams[g].append(i)
            self._grams = dict(grams)
        return self._grams

    def prefixed(self, token: str) -> list[str]:
        start = bisect.bisect_left(self.words, token)
        out = []
        for w in self.words[start:]:
            if not w.startswith(token):
                break
            if w != token:
                out.append(w)
        return sorted(out, key=len)[:MAX_PREFIX]

    def within_edits(self, token: str) -> list[str]:
        """Words within 1 (short words) or 2 edits; short words must share the first letter."""
        k = max_edits(token)
        found = process.extract(token, self.words, scorer=Levenshtein.distance, score_cutoff=k, limit=None)
        return [w for w, _, _ in found if w != token and (len(token) > 4 or w[:1] == token[:1])]

    def similar_trigrams(self, token: str) -> list[str]:
        mine = set(trigrams(token))
        if len(mine) < 4:
            return []
        index = self._gram_index()
        shared = Counter(i for g in mine for i in index.get(g, ()))
        out = []
        for i, n in shared.items():
            other = len(set(trigrams(self.words[i])))
            if n / (len(mine) + other - n) >= MIN_TRIGRAM_SIMILARITY and self.words[i] != token:
                out.append(self.words[i])
        return out

    def variants(self, token: str) -> dict[str, float]:
        """Indexed name words a clerk may have meant by ``token``, each with a boost."""
        out: dict[str, float] = {}

        def add(words: Iterable[str], weight: float) -> None:
            for w in words:
                if w in self._known and out.get(w, 0.0) < weight:
                    out[w] = weight

        add([token], WEIGHT_EXACT)
        if len(token) >= 2:
            add(self.prefixed(token), WEIGHT_PREFIX)
        if len(token) >= 3:
            add(self.similar_trigrams(token), WEIGHT_TRIGRAM)
            add(self.within_edits(token), WEIGHT_EDIT)
        add(nickname_variants(token), WEIGHT_NICKNAME)
        return out
