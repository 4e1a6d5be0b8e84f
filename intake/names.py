"""Person names: parsing labelled name strings and an OCR-tolerant roster gazetteer.

* :func:`parse_name` splits ``SMITH, JOHN A`` / ``John A. Smith`` / ``Smith, John``
  into family / given / middle.
* :func:`clean_person` / :func:`letterhead_org` tidy a provider name / find the sender.
* :class:`Gazetteer` finds roster names (family, given) in text, exactly or
  with one OCR error per name part, using a delete-one index (fast dict
  look-ups, no pairwise fuzzy scan over the roster).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from intake.text import strip_accents

SUFFIXES = {"jr", "sr", "ii", "iii", "iv", "md", "do", "np", "pa", "rn", "phd", "dds"}
TITLES = {"mr", "mrs", "ms", "miss", "dr", "mx"}
NAME_TOKEN = re.compile(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'’\-]*\.?")
# OCR letter confusions folded before comparing names.
_OCR_FOLD = str.maketrans({"0": "o", "1": "l", "5": "s", "8": "b", "|": "l", "$": "s",
                           "€": "e", "@": "a", "!": "l"})
MIN_FUZZY_LEN = 4
_COMMA_READ_AS_DOT = re.compile(r"([A-Za-zÀ-ÿ'’\-]{3,})\.\s+[A-Za-zÀ-ÿ]")
_GLUED_INITIAL = re.compile(r"^([A-Z])([A-Z][a-z]{2,}.*)$")
_ORG_WORDS = re.compile(r"(?i)\b(hospital|medical|medicine|clinic|clinical|health|laborator(y|ies)|"
                        r"lab|imaging|radiology|center|centre|associates|group|pharmacy|"
                        r"orthopedics|cardiology|pediatrics|plan|insurance|law|llp|llc|inc|"
                        r"services|care|behavioral|physicians|surgery|diagnostics)\b")


def fold(text: str) -> str:
    """Lower-case, strip accents and fold OCR digit/letter confusions."""
    text = strip_accents(text).lower().translate(_OCR_FOLD).replace("rn", "m").replace("li", "h").replace("’", "'")
    return text


@dataclass(frozen=True)
class ParsedName:
    family: str
    given: str
    middle: str | None


def _clean_tokens(value: str) -> list[str]:
    return [t.rstrip(".") for t in NAME_TOKEN.findall(value)]


def _tidy(token: str) -> str:
    return token.strip(" .,'’-")


def parse_name(value: str) -> ParsedName | None:
    """Split a labelled name value; None if it does not look like a name.

    Printed names are Title or UPPER case: an all-lower-case part is a label or prose.
    """
    parsed = _split_name(value)
    if parsed is None or parsed.family.islower() or parsed.given.islower():
        return None
    return parsed


def _split_name(value: str) -> ParsedName | None:
    value = value.strip().strip(":;-").strip()
    if not value or any(ch.isdigit() for ch in value):
        return None
    dotted = _COMMA_READ_AS_DOT.match(value)  # "SMITH. JOHN A": OCR read the comma as a full stop
    if "," not in value and dotted and dotted.group(1).lower() not in TITLES:
        value = dotted.group(1) + "," + value[dotted.end(1) + 1:]
    if "," in value:
        family_part, _, rest = value.partition(",")
        fam = [t for t in _clean_tokens(family_part) if t.lower() not in TITLES]
        rest_tokens = [t for t in _clean_tokens(rest) if t.lower() not in SUFFIXES | TITLES]
        if not fam or not rest_tokens:
            return None
        middle = _tidy(" ".join(rest_tokens[1:])) or None
        return ParsedName(_tidy(" ".join(fam)), _tidy(rest_tokens[0]), middle)
    tokens = [t for t in _clean_tokens(value) if t.lower() not in SUFFIXES | TITLES]
    if len(tokens) < 2:
        return None
    glued = _GLUED_INITIAL.match(tokens[-1])  # OCR dropped the space: "Frank RNakamura"
    if glued and len(tokens) == 2:
        return ParsedName(glued.group(2), _tidy(tokens[0]), glued.group(1))
    middle = _tidy(" ".join(tokens[1:-1])) or None
    return ParsedName(_tidy(tokens[-1]), _tidy(tokens[0]), middle)


def given_vocabulary(roster_given: Iterable[str]) -> frozenset[str]:
    """Given names a clerk would recognise as names: the roster's and common ones (folded)."""
    from nicknames import NickNamer

    common = NickNamer()._nickname_lookup  # noqa: SLF001 - the package's name table (canonical -> nicknames)
    known = {fold(n) for n in common} | {fold(n) for vals in common.values() for n in vals}
    known |= {fold(t) for g in roster_given for t in NAME_TOKEN.findall(g)}
    return frozenset(k.strip(".") for k in known if len(k) > 1)


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


@dataclass(frozen=True)
class GazetteerHit:
    family: str  # the roster spelling, or the document's part of a double-barrelled roster name
    given: str
    start: int
    end: int
    exact: bool


_FAMILY_FIRST_GAP = re.compile(r"[^\w\s]{0,2}[,.;]\s*")  # "Smith, John" (OCR: "Smith. John", "Marque?. John")
_TOKEN = re.compile(r"[\w'’\-|$@!]+")


class Gazetteer:
    """Known (family, given) pairs, looked up exactly or with one OCR error per part."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._pairs: dict[tuple[str, str], tuple[str, str]] = {}
        self._family_index: dict[str, set[str]] = {}
        self._parts: dict[str, set[str]] = {}  # one part of a double-barrelled family name -> the whole
        for family, given in pairs:
            if not family or not given:
                continue
            key = (fold(family), fold(given))
            self._pairs.setdefault(key, (family, given))
            fam = key[0]
            self._family_index.setdefault(fam, set()).add(fam)
            if len(fam) >= MIN_FUZZY_LEN:
                for d in _deletes(fam):
                    self._family_index.setdefault(d, set()).add(fam)
            parts = [p for p in re.split(r"[-\s]+", fam) if len(p) >= 3]
            if len(parts) > 1:
                for part in parts:
                    self._parts.setdefault(part, set()).add(fam)
        self._givens_by_family: dict[str, set[str]] = {}
        self._given_index: dict[str, set[str]] = {}
        for fam, giv in self._pairs:
            self._givens_by_family.setdefault(fam, set()).add(giv)
            for part in {giv, *(_deletes(giv) if len(giv) >= MIN_FUZZY_LEN else ())}:
                self._given_index.setdefault(part, set()).add(giv)

    def __len__(self) -> int:
        return len(self._pairs)

    def _family_candidates(self, token: str) -> set[str]:
        return _within_one_of(self._family_index, token)

    def near_name(self, word: str) -> bool:
        """Whether a capitalised ``word`` is, or is one OCR error from, a roster family or given name.

        Word repair (:mod:`intake.wordfix`) leaves such words as they were read, for :meth:`find`.
        """
        if not word[:1].isupper():
            return False
        folded = fold(word).strip("'’-")
        return bool(self._family_candidates(folded) or folded in self._parts
                    or _within_one_of(self._given_index, folded))

    def find(self, text: str) -> list[GazetteerHit]:
        """Roster names in ``text`` as ``Given [Middle] Family`` or ``Family, Given``.

        A document naming one part of a double-barrelled roster family name
        ("Laura Smith" for Smith-Jones) is found too; the hit then carries the
        document's part, so the matcher weighs it as a partial family name.
        """
        tokens = [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(text)]
        hits: list[GazetteerHit] = []
        seen: set[tuple[int, int]] = set()
        for i, (tok, start, end) in enumerate(tokens):
            if not tok[:1].isupper():  # names are printed capitalised
                continue
            folded = fold(tok).strip("'’-")
            candidates = [(f, False) for f in self._family_candidates(folded)]
            candidates += [(f, True) for f in self._parts.get(folded, ()) if f != folded]
            for fam, partial in candidates:
                givens = self._givens_by_family.get(fam, set())
                for j in (i - 1, i - 2, i + 1, i + 2):  # given before, or after "Family,"
                    if j < 0 or j >= len(tokens) or abs(i - j) == 2 and not _is_middle(tokens, i, j):
                        continue
                    if j > i and not _FAMILY_FIRST_GAP.fullmatch(text[end:tokens[j][1]]):
                        continue
                    gtok = fold(tokens[j][0])
                    for giv in givens:
                        if gtok == giv or (len(giv) >= MIN_FUZZY_LEN and within_one(gtok, giv)):
                            span = (min(start, tokens[j][1]), max(end, tokens[j][2]))
                            if span in seen:
                                continue
                            seen.add(span)
                            family, given = self._pairs[(fam, giv)]
                            exact = gtok == giv and folded == fam
                            if partial:
                                family = tok.strip("'’-")
                            hits.append(GazetteerHit(family, given, span[0], span[1], exact))
        return hits


def _within_one_of(index: dict[str, set[str]], token: str) -> set[str]:
    """Names of a deletion index (each name under itself and, from :data:`MIN_FUZZY_LEN` letters,
    under each one-letter deletion) that are ``token`` or, for tokens that long, one edit from it."""
    exact = index.get(token, set())
    if len(token) < MIN_FUZZY_LEN:
        return {n for n in exact if n == token}
    found = set(exact)
    for d in _deletes(token):
        found |= index.get(d, set())
    return {n for n in found if within_one(token, n)}


def _is_middle(tokens: Sequence[tuple[str, int, int]], i: int, j: int) -> bool:
    """Allow one middle name or initial between given and family name (printed capitalised)."""
    mid = tokens[(i + j) // 2][0]
    return mid[:1].isupper() and (len(mid.rstrip(".")) == 1 or mid.isalpha())


def within_one(a: str, b: str) -> bool:
    """Damerau-Levenshtein distance <= 1."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [k for k in range(la) if a[k] != b[k]]
        if len(diff) == 1:
            return True
        return (len(diff) == 2 and diff[1] == diff[0] + 1
                and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    if la > lb:
        a, b = b, a
    return any(b[:k] + b[k + 1:] == a for k in range(len(b)))


def clean_person(value: str) -> str | None:
    value = re.split(r"\s+on\s+\d|\s{2,}|\t", value)[0].strip(" ,;")
    return value[:80] or None if re.search(r"[A-Za-z]{2}", value) else None


def letterhead_org(text: str, skip: list[tuple[int, int]]) -> str | None:
    pos = 0
    seen = 0
    for line in text.split("\n"):
        start, pos = pos, pos + len(line) + 1
        if not line.strip() or any(a <= start < b for a, b in skip):
            continue
        seen += 1
        if seen > 4:
            break
        if _ORG_WORDS.search(line) and not re.search(r"\d{3}", line) and len(line) < 80:
            return line.strip()
    return None
