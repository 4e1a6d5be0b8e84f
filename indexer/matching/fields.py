"""Per-field comparators and match weights (Fellegi–Sunter style).

This module owns *how one field of a document compares with one field of a
roster patient*: each comparator returns an agreement level, the weight it
earns (positive for agreement, negative for disagreement, 0 when either side
is missing) and a short human-readable description.  Name weights are scaled
by term frequency (agreeing on a rare name counts more than on "Smith"); the
scale is given by the caller (see :mod:`indexer.matching.roster`).
No personal data is logged or stored here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import OSA, JaroWinkler

from indexer.matching.normalize import (
    AddressKey,
    NameParts,
    date_relation,
    mrn_relation,
    nickname_equivalent,
)


@dataclass(frozen=True)
class Weights:
    """Match weights in bits-like units; thresholds in MatchConfig use the same scale."""

    mrn_exact: float = 14.0
    mrn_near: float = 8.0
    mrn_conflict: float = -12.0
    dob_exact: float = 12.0
    dob_near: float = 6.0
    dob_conflict: float = -12.0
    family_conflict: float = -4.0
    given_conflict: float = -4.0
    middle_agree: float = 1.0
    middle_conflict: float = -3.0  # both full middle names, different
    middle_initial_conflict: float = -1.0
    suffix_agree: float = 1.0
    suffix_conflict: float = -4.0
    sex_agree: float = 0.5
    sex_conflict: float = -3.0
    phone_agree: float = 2.0
    phone_conflict: float = -1.5  # people change numbers: weak, but several weak conflicts add up
    address_agree: float = 1.5
    address_conflict: float = -1.5
    swapped_factor: float = 0.9  # names written family/given the wrong way round


WEIGHTS = Weights()


@dataclass(frozen=True)
class FieldScore:
    """The outcome of comparing one field."""

    field: str
    level: str  # exact | near | part | typo | nickname | ... | conflict | missing
    weight: float
    detail: str

    @property
    def reason(self) -> str:
        return f"{self.detail} {self.weight:+.1f}"


FAMILY_AGREE = frozenset({"exact", "part", "typo"})
# "middle" (the document's given name is the roster middle name) is left out on purpose: siblings often
# carry each other's names as middle names.  A clerk confirms it once, as an alias, and it files from then on.
GIVEN_AGREE = frozenset({"exact", "first", "nickname", "typo"})
FAMILY_STRONG = frozenset({"exact", "part"})  # without an exact MRN, one name part must be this solid
GIVEN_STRONG = frozenset({"exact", "first", "nickname"})


_OCR_LOOKALIKES = (("rn", "m"), ("cl", "d"), ("vv", "w"), ("0", "o"), ("1", "l"), ("5", "s"))


@lru_cache(maxsize=65536)
def ocr_fold(text: str) -> str:
    """Collapse letter sequences OCR confuses (``rn``→``m``, ``cl``→``d``) so both sides compare alike."""
    for seq, rep in _OCR_LOOKALIKES:
        text = text.replace(seq, rep)
    return text


@lru_cache(maxsize=262144)
def _typo_factor(a: str, b: str) -> tuple[float, str] | None:
    """Weight factor for a small spelling/OCR difference, or None when too different."""
    fa, fb = ocr_fold(a), ocr_fold(b)
    if fa == fb:
        return 0.8, "OCR look-alike letters"
    shorter = min(len(fa), len(fb))
    dist = OSA.distance(fa, fb)
    if dist == 1 and shorter >= 4:
        return (0.75 if shorter >= 5 else 0.5), "one-letter difference"
    if dist == 1 and shorter == 3 and abs(len(fa) - len(fb)) == 1:
        return 0.4, "one letter missing"
    if dist == 2 and shorter >= 8:
        return 0.5, "two-letter difference"
    return None


@lru_cache(maxsize=262144)
def compare_family(doc: NameParts, pat_tokens: tuple[str, ...], pat_raw: str) -> tuple[str, float, str]:
    """Compare family names: (level, weight factor 0..1, description)."""
    d, r = doc.family_key, "".join(pat_tokens)
    if not d or not r:
        return "missing", 0.0, "missing"
    if d == r:
        plain = doc.family_raw == pat_raw
        return "exact", 1.0, "exact" if plain else "exact (ignoring accents/punctuation/suffix)"
    dcore, rcore = set(doc.core_family()), {t for t in pat_tokens if t}
    shared = dcore & rcore
    if shared and (dcore <= rcore or rcore <= dcore) and any(len(t) > 2 for t in shared):
        return "part", 0.8, "one part of a double-barrelled name"
    typo = _typo_factor(d, r)
    if typo is not None:
        return "typo", typo[0], typo[1]
    jw = JaroWinkler.similarity(d, r)
    if jw >= 0.93 and min(len(d), len(r)) >= 5:
        return "similar", 0.4, f"jaro-winkler {jw:.2f}"
    return "conflict", 0.0, "differs"


@lru_cache(maxsize=262144)
def compare_given(doc: NameParts, pat: NameParts) -> tuple[str, float, str]:
    """Compare given names (and the doc given name with the roster middle name)."""
    d, r = doc.given_key, pat.given_key
    if not d or not r:
        return "missing", 0.0, "missing"
    if d == r:
        plain = doc.given_raw == pat.given_raw
        return "exact", 1.0, "exact" if plain else "exact (ignoring accents/punctuation)"
    df, rf = doc.given_first, pat.given_first
    if len(df) > 1 and df == rf:
        if len(doc.given) > 1 and len(pat.given) > 1:  # Mary Ann vs Mary Beth
            return "similar", 0.3, "first given name agrees, the second differs"
        return "first", 0.85, "first given name agrees"
    if len(df) > 1 and nickname_equivalent(df, rf):
        return "nickname", 0.75, "nickname"
    typo = _typo_factor(d, r)
    if typo is not None:
        return "typo", typo[0] * 0.9, typo[1]
    if len(df) > 1 and pat.middle and df == pat.middle[0]:
        return "middle", 0.6, "goes by the roster middle name"
    if len(df) == 1 and rf.startswith(df):
        return "initial", 0.25, "initial only"
    jw = JaroWinkler.similarity(d, r)
    if jw >= 0.93 and min(len(d), len(r)) >= 5:
        return "similar", 0.35, f"jaro-winkler {jw:.2f}"
    return "conflict", 0.0, "differs"


def compare_middle(doc: NameParts, pat: NameParts, w: Weights = WEIGHTS) -> FieldScore | None:
    """Middle names: small evidence either way; None when either side lacks one."""
    if not doc.middle or not pat.middle:
        return None
    d, r = doc.middle[0], pat.middle[0]
    if d == r or (min(len(d), len(r)) == 1 and d[0] == r[0]):
        return FieldScore("middle_name", "exact", w.middle_agree, "agrees")
    if len(d) > 1 and len(r) > 1 and nickname_equivalent(d, r):
        return FieldScore("middle_name", "nickname", w.middle_agree / 2, "nickname")
    if min(len(d), len(r)) == 1:
        return FieldScore("middle_name", "conflict", w.middle_initial_conflict, "initial differs")
    return FieldScore("middle_name", "conflict", w.middle_conflict, "differs")


def compare_suffix(doc: NameParts, pat: NameParts, w: Weights = WEIGHTS) -> FieldScore | None:
    """Generational suffix (Jr/Sr/III): only counts when both sides state one."""
    if not doc.suffix or not pat.suffix:
        return None
    if doc.suffix == pat.suffix:
        return FieldScore("suffix", "exact", w.suffix_agree, "agrees")
    return FieldScore("suffix", "conflict", w.suffix_conflict, "differs (Jr/Sr?)")


def compare_dob(doc_dobs: tuple[dt.date, ...], dob: dt.date | None, w: Weights = WEIGHTS) -> FieldScore:
    """Best relation between any document DOB and the roster DOB."""
    if not doc_dobs or dob is None:
        return FieldScore("dob", "missing", 0.0, "missing")
    best = FieldScore("dob", "conflict", w.dob_conflict, "conflicts")
    for d in doc_dobs:
        level, how = date_relation(d, dob)
        if level == "exact":
            return FieldScore("dob", "exact", w.dob_exact, "exact")
        if level == "near":
            best = FieldScore("dob", "near", w.dob_near, how)
    return best


def compare_mrn(
    doc_mrns: tuple[str, ...], mrn: str, taken: frozenset[str] = frozenset(), w: Weights = WEIGHTS
) -> FieldScore:
    """Best relation between any of our own-scheme MRNs on the document and the roster MRN.

    ``taken`` are document MRNs that exactly belong to some roster patient: such an
    MRN can never count as an OCR-near match for a *different* patient.
    """
    if not doc_mrns or not mrn:
        return FieldScore("mrn", "missing", 0.0, "missing")
    best = FieldScore("mrn", "conflict", w.mrn_conflict, "conflicts")
    for m in doc_mrns:
        level, how = mrn_relation(m, mrn)
        if level == "exact":
            return FieldScore("mrn", "exact", w.mrn_exact, how)
        if level == "near" and m not in taken:
            best = FieldScore("mrn", "near", w.mrn_near, how)
        elif level == "near":
            best = FieldScore("mrn", "conflict", w.mrn_conflict, "conflicts (exactly another patient's MRN)")
    return best


def compare_sex(doc: str | None, pat: str | None, w: Weights = WEIGHTS) -> FieldScore | None:
    if not doc or not pat or doc.upper() not in "FM" or pat.upper() not in "FM":
        return None
    if doc.upper() == pat.upper():
        return FieldScore("sex", "exact", w.sex_agree, "agrees")
    return FieldScore("sex", "conflict", w.sex_conflict, "differs")


def compare_phone(doc: tuple[str, ...], pat: str | None, w: Weights = WEIGHTS) -> FieldScore | None:
    if not doc or not pat:
        return None
    if pat in doc:
        return FieldScore("phone", "exact", w.phone_agree, "exact")
    return FieldScore("phone", "conflict", w.phone_conflict, "differs")


def compare_address(
    doc: AddressKey | None, pat: AddressKey | None, w: Weights = WEIGHTS
) -> FieldScore | None:
    if doc is None or pat is None or not doc.number or not pat.number:
        return None
    same_street = bool(doc.words & pat.words)
    postal_ok = not doc.postal or not pat.postal or doc.postal == pat.postal
    if doc.number == pat.number and same_street and postal_ok:
        return FieldScore("address", "exact", w.address_agree, "house number and street agree")
    return FieldScore("address", "conflict", w.address_conflict, "differs")
