"""Text normalisation for matching: names, dates, identifiers, phones, addresses.

This module owns *how raw strings become comparable keys*: folding case and
diacritics, splitting hyphenated / double-barrelled names, dropping titles and
generational suffixes, parsing ISO dates, canonicalising MRNs and phones, and
the OCR confusion tables used to generate near-variants of DOBs and MRNs.
Everything here is pure and cached where it is hot.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

from nicknames import NickNamer

from intake.ocrchars import CONFUSABLE  # one table of OCR confusions for reading and matching
from intake.text import fold, phonetic  # noqa: F401 - the one fold and phonetic code (re-exported)

SUFFIXES: frozenset[str] = frozenset({"jr", "sr", "ii", "iii", "iv", "2nd", "3rd"})
TITLES: frozenset[str] = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr"})  # not "do": a family name
PARTICLES: frozenset[str] = frozenset(
    {"van", "von", "der", "den", "de", "del", "della", "la", "le", "da", "di", "du", "dos", "das", "st", "y"}
)
_SEPARATORS = re.compile(r"[^a-z0-9]+")

_NICKNAMER = NickNamer()


def confusable(a: str, b: str) -> bool:
    """True when OCR plausibly read character ``a`` as ``b`` (or vice versa)."""
    return b in CONFUSABLE.get(a, frozenset())


@dataclass(frozen=True)
class NameParts:
    """A person name reduced to comparable tokens."""

    family: tuple[str, ...]  # tokens, suffix and titles removed
    given: tuple[str, ...]
    middle: tuple[str, ...]
    suffix: str | None  # "jr", "iii", ... wherever it appeared
    family_raw: str  # case-folded text as written (to tell accent/punctuation-only differences)
    given_raw: str

    @cached_property
    def family_key(self) -> str:
        return "".join(self.family)

    @cached_property
    def given_key(self) -> str:
        return "".join(self.given)

    @cached_property
    def given_first(self) -> str:
        return self.given[0] if self.given else ""

    @cached_property
    def _core(self) -> tuple[str, ...]:
        core = tuple(t for t in self.family if t not in PARTICLES)
        return core or self.family

    def core_family(self) -> tuple[str, ...]:
        """Family tokens without particles (``van der Berg`` → ``berg``)."""
        return self._core

    def swapped(self) -> NameParts:
        """The same name read the other way round (family ↔ given)."""
        return NameParts(self.given, self.family, self.middle, self.suffix, self.given_raw, self.family_raw)


@lru_cache(maxsize=65536)
def tokens(text: str) -> tuple[tuple[str, ...], str | None]:
    """Split a name field into tokens; return (tokens, generational suffix)."""
    parts = [t for t in _SEPARATORS.split(fold(text)) if t]
    suffix = None
    kept: list[str] = []
    for i, tok in enumerate(parts):
        if tok in SUFFIXES and (kept or i > 0):
            suffix = tok
        elif tok in TITLES and len(parts) > 1:
            continue
        else:
            kept.append(tok)
    return tuple(kept), suffix


def name_parts(family: str, given: str, middle: str | None = None) -> NameParts:
    """Normalise one name; suffixes may sit in the family or given field."""
    fam, sfx1 = tokens(family or "")
    giv, sfx2 = tokens(given or "")
    mid, sfx3 = tokens(middle or "")
    return NameParts(
        family=fam,
        given=giv,
        middle=mid,
        suffix=sfx1 or sfx2 or sfx3,
        family_raw=(family or "").casefold().strip(),
        given_raw=(given or "").casefold().strip(),
    )


@lru_cache(maxsize=65536)
def given_group(token: str) -> frozenset[str]:
    """The token plus its canonical forms (``bob`` → ``{bob, robert, ...}``)."""
    if not token:
        return frozenset()
    return frozenset({token}) | frozenset(_NICKNAMER.canonicals_of(token))


@lru_cache(maxsize=65536)
def nickname_equivalent(a: str, b: str) -> bool:
    """True when one of ``a``/``b`` is a listed nickname (or canonical form) of the other.

    Only *direct* relations count: Henry and Harold share the nickname Harry
    but are different names.
    """
    if not a or not b or a == b:
        return bool(a) and a == b
    return b in _NICKNAMER.nicknames_of(a) or a in _NICKNAMER.nicknames_of(b) or b in given_group(a) \
        or a in given_group(b)


def parse_date(value: str | None) -> dt.date | None:
    """Parse an ISO ``YYYY-MM-DD`` date; ``None`` when absent or malformed."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def date_near_variants(day: dt.date) -> dict[dt.date, str]:
    """Dates one OCR slip away from ``day``: day/month swap or one confusable digit (cached; do not mutate)."""
    out: dict[dt.date, str] = {}
    if day.day <= 12 and day.day != day.month:
        out[dt.date(day.year, day.day, day.month)] = "day/month swapped"
    text = day.isoformat()
    for i, ch in enumerate(text):
        if not ch.isdigit():
            continue
        for alt in CONFUSABLE.get(ch, frozenset()):
            if not alt.isdigit():
                continue
            cand = parse_date(text[:i] + alt + text[i + 1:])
            if cand is not None and cand != day and cand not in out:
                out[cand] = f"one OCR-confusable digit ({ch}/{alt})"
    return out


@lru_cache(maxsize=65536)
def date_relation(doc: dt.date, roster: dt.date) -> tuple[str, str]:
    """Compare two dates: ("exact"|"near"|"conflict", description)."""
    if doc == roster:
        return "exact", "exact"
    if doc.day <= 12 and doc.day != doc.month and (roster.year, roster.month, roster.day) == (
        doc.year, doc.day, doc.month
    ):
        return "near", "day/month swapped"
    a, b = doc.isoformat(), roster.isoformat()
    diffs = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
    if len(diffs) == 1 and confusable(*diffs[0]):
        return "near", f"one OCR-confusable digit ({diffs[0][0]}/{diffs[0][1]})"
    return "conflict", "conflict"


@lru_cache(maxsize=65536)
def canonical_mrn(value: str) -> str:
    """Upper-case, drop spaces, dashes and other separators."""
    return re.sub(r"[^0-9A-Z]", "", fold(value).upper())


_LETTER_AS_DIGIT = str.maketrans({"O": "0", "D": "0", "Q": "0", "I": "1", "L": "1", "T": "1",
                                  "Z": "2", "A": "4", "S": "5", "G": "6", "B": "8"})


@lru_cache(maxsize=65536)
def fold_mrn(mrn: str) -> str:
    """Read OCR-confusable letters as digits (``CF1OO2S5`` → ``CF100255``); the blocking key for MRNs."""
    return mrn.translate(_LETTER_AS_DIGIT)


def mrn_near_variants(mrn: str) -> dict[str, str]:
    """Folded MRNs one OCR-confusable *digit* away from ``mrn`` (itself folded first)."""
    folded = fold_mrn(mrn)
    out: dict[str, str] = {}
    for i, ch in enumerate(folded):
        for alt in CONFUSABLE.get(ch, frozenset()):
            if alt.isdigit():
                out.setdefault(folded[:i] + alt + folded[i + 1:], f"one OCR-confusable digit ({ch}/{alt})")
    return out


def mrn_relation(doc: str, roster: str) -> tuple[str, str]:
    """Compare two canonical MRNs: ("exact"|"near"|"conflict", description).

    Letters that OCR reads for digits (O/0, S/5, B/8 ...) are repaired first and
    still count as exact; one confusable digit (6/8, 1/7 ...) is "near".
    """
    if doc == roster:
        return "exact", "exact"
    fd, fr = fold_mrn(doc), fold_mrn(roster)
    if fd == fr:
        return "exact", "exact after reading OCR letters as digits"
    if len(fd) == len(fr):
        diffs = [(a, b) for a, b in zip(fd, fr, strict=True) if a != b]
        if len(diffs) == 1 and confusable(*diffs[0]):
            return "near", f"one OCR-confusable digit ({diffs[0][0]}/{diffs[0][1]})"
    return "conflict", "conflict"


def canonical_phone(value: str | None) -> str | None:
    """The last 10 digits of a phone number (NANP), or None when too short."""
    if not value:
        return None
    digits = re.sub(r"\D", "", value)
    return digits[-10:] if len(digits) >= 10 else None


_STREET_ABBREV = {
    "street": "st", "avenue": "ave", "road": "rd", "drive": "dr", "lane": "ln", "court": "ct",
    "boulevard": "blvd", "place": "pl", "north": "n", "south": "s", "east": "e", "west": "w",
    "northeast": "ne", "northwest": "nw", "southeast": "se", "southwest": "sw", "apartment": "apt",
    "suite": "ste",
}


_ADDRESS_NOISE = frozenset(
    {"st", "ave", "rd", "dr", "ln", "ct", "way", "blvd", "pl", "apt", "unit", "ste", "n", "s", "e", "w",
     "ne", "nw", "se", "sw", "po", "box"}
)


@dataclass(frozen=True)
class AddressKey:
    """House number, street words and postal code of an address."""

    number: str | None
    words: frozenset[str]
    postal: str | None


def address_key(street: str | None, postal: str | None = None) -> AddressKey | None:
    """Reduce an address line (optionally with city/state/ZIP) to an :class:`AddressKey`."""
    if not street:
        return None
    toks = [_STREET_ABBREV.get(t, t) for t in _SEPARATORS.split(fold(street)) if t]
    if not toks:
        return None
    number = toks[0] if toks[0][:1].isdigit() else None
    zips = [t for t in toks if len(t) == 5 and t.isdigit()]
    words = frozenset(t for t in toks[1:] if not t.isdigit() and len(t) > 1 and t not in _ADDRESS_NOISE)
    return AddressKey(number=number, words=words, postal=postal or (zips[-1] if zips else None))
