"""Repair OCR words that are no word at all, against the OCR model's own word list.

Thin fax print makes tesseract confuse letters of like shape (``f``/``t``,
``l``/``i``/``!``/``1``, ``rn``/``m``, ``cl``/``d``, ``c``/``e``): ``contidential``,
``Heaith``, ``Chioride``, ``Tota!``.  A clerk reads through such slips and a
search should too.  A word is repaired only when

* it is not in the lexicon (the words of the tesseract model, :mod:`intake._exec.tessdict`),
* it is mostly letters (at most one digit: identifiers, dates and codes are never touched),
  at least :data:`MIN_LENGTH` characters, and not an all-capitals acronym of up to :data:`ACRONYM_MAX`,
* one or two swaps of shapes OCR confuses (:data:`CONFUSIONS`) turn it into exactly one
  common word (one the list spells in lower case).  A word the list knows, a name
  among them, is never changed,
* and it is not a name of the roster as the gazetteer reads names (capitalised, up to one
  OCR error away): those stay as read, for the patient matching (``keep``).

A bar standing alone before a lower-case word is the pronoun ``I`` (``| have``),
or the digit ``1`` before ``of`` (``page | of 3``).
Pure functions on text, plus :func:`lexicon_for`, which loads and caches one
lexicon per process.  Measured on the evaluation corpus in ``docs/benchmarks.md``
("Word repair").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from intake._exec import tessdict

# Shapes tesseract confuses in thin or low-resolution print, each way it misreads them.
CONFUSIONS: dict[str, tuple[str, ...]] = {
    "!": ("l", "I", "i"), "|": ("l", "I"), "1": ("l", "I"), "0": ("O", "o"), "5": ("S", "s"),
    "l": ("I", "i", "t"), "I": ("l", "T"), "i": ("l", "t"), "t": ("f", "l", "i"), "f": ("t",),
    "rn": ("m",), "m": ("rn",), "cl": ("d",), "d": ("cl",), "li": ("h",), "h": ("li", "b"), "b": ("h",),
    "ii": ("u",), "u": ("ii", "n"), "n": ("u", "ri"), "ri": ("n",), "vv": ("w",),
    "e": ("c", "o"), "c": ("e",), "o": ("a", "e"), "a": ("o",),
    "O": ("D", "0"), "D": ("O",), "T": ("I",), "F": ("P",), "P": ("F",), "B": ("8",), "8": ("B",),
    "G": ("C", "6"), "C": ("G",),
}
_KEYS = sorted(CONFUSIONS, key=len, reverse=True)
MIN_LENGTH = 4
MAX_LENGTH = 24
ACRONYM_MAX = 5  # all-capitals words up to this long are acronyms: an open class, never repaired
MAX_SWAPS = 2
MAX_VARIANTS = 5000  # candidates explored per word at most (long garbage stops early)
_LEAD = "([{\"'‘“"
_TRAIL = ".,;:)]}\"'’”?"
_REPAIRABLE = re.compile(r"[A-Za-z!|015]+")


@dataclass(frozen=True)
class Lexicon:
    """The words OCR text is checked against, lower-cased."""

    known: frozenset[str]  # every entry
    common: frozenset[str]  # entries the list spells in lower case (words in common use)

    @classmethod
    def from_words(cls, words: Iterable[str]) -> Lexicon:
        entries = [w for w in words if w and "'" not in w]
        return cls(frozenset(w.lower() for w in entries), frozenset(w for w in entries if w.islower()))

    def __bool__(self) -> bool:
        return bool(self.known)


def _swaps(word: str) -> set[str]:
    """``word`` with one confusable shape swapped, every way."""
    out: set[str] = set()
    for i in range(len(word)):
        for key in _KEYS:
            if word.startswith(key, i):
                for alt in CONFUSIONS[key]:
                    out.add(word[:i] + alt + word[i + len(key):])
    return out


def _candidates(core: str, lexicon: Lexicon) -> set[str]:
    """The common words the fewest swaps reach (empty beyond :data:`MAX_SWAPS`)."""
    frontier = {core}
    for _ in range(MAX_SWAPS):
        reached: set[str] = set()
        for variant in frontier:
            reached |= _swaps(variant)
        hits = {v.lower() for v in reached if v.lower() in lexicon.common}
        if hits or len(reached) > MAX_VARIANTS:
            return hits
        frontier = reached
    return set()


def _cased(word: str, like: str) -> str:
    """``word`` in the case of the OCR'd ``like``: all capitals, capitalised, or lower case."""
    letters = [c for c in like if c.isalpha()]
    if letters and all(c.isupper() for c in letters):
        return word.upper()
    if like[0].isupper() or like[0] == "|":
        return word[0].upper() + word[1:]
    return word


Keep = Callable[[str], bool]
"""Words to leave as read whatever the lexicon says (the roster's names, :meth:`intake.names.Gazetteer.near_name`)."""


def _never(_word: str) -> bool:
    return False


def repair_core(core: str, lexicon: Lexicon, keep: Keep = _never) -> str:
    """One word without its surrounding punctuation, repaired when exactly one common word fits."""
    if not (MIN_LENGTH <= len(core) <= MAX_LENGTH) or core.lower() in lexicon.known:
        return core
    letters = [c for c in core if c.isalpha()]
    if len(letters) < 3 or sum(c.isdigit() for c in core) > 1 or not _REPAIRABLE.fullmatch(core):
        return core
    if len(core) <= ACRONYM_MAX and all(c.isupper() for c in letters):
        return core
    found = _candidates(core, lexicon)
    return _cased(found.pop(), core) if len(found) == 1 and not keep(core) else core


def repair_token(token: str, lexicon: Lexicon, keep: Keep = _never) -> str:
    """A whitespace-separated token: leading and trailing punctuation kept, the word repaired."""
    start, end = 0, len(token)
    while start < end and token[start] in _LEAD:
        start += 1
    while end > start and token[end - 1] in _TRAIL:
        end -= 1
    return token[:start] + repair_core(token[start:end], lexicon, keep) + token[end:]


def _repair_line(line: str, lexicon: Lexicon, keep: Keep) -> str:
    tokens = line.split(" ")
    for i, token in enumerate(tokens):
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        if token == "|" and following[:1].islower():
            tokens[i] = "1" if following == "of" else "I"  # "page | of 3"; "| have"
        elif token:
            tokens[i] = repair_token(token, lexicon, keep)
    return " ".join(tokens)


def repair(text: str, lexicon: Lexicon, keep: Keep = _never) -> str:
    """OCR text with its non-words repaired (line structure and spacing kept); unchanged with no lexicon.

    ``keep`` says which words to leave as read: a patient's name misread by one
    letter is found by the roster gazetteer as it stands, and would be lost if
    it were "repaired" into a dictionary word (``Baiid`` for Baird into ``Baud``).
    """
    if not lexicon:
        return text
    return "\n".join(_repair_line(line, lexicon, keep) for line in text.split("\n"))


@lru_cache(maxsize=4)
def lexicon_for(lang: str) -> Lexicon:
    """The lexicon of the OCR language(s), loaded once per process (about a second)."""
    return Lexicon.from_words(tessdict.word_list(lang))
