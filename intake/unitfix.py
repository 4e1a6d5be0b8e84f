"""Repair units of measure that OCR misread next to a value (lab rows, vital signs).

A lab row names its unit from a small closed vocabulary (:data:`UNITS`, the
UCUM spellings US laboratories print): ``Glucose 97 mg/dL 70-99``.  Thin print
makes tesseract misread those few characters in the same ways again and again:
the final ``L`` as ``t``, ``l``, ``b``, ``i`` or a dash (``mg/dt``), the caret
as ``4``, ``*`` or ``°`` (``x1043/uL``), the slash as ``i`` (``UiL``), the
``l`` of ``lb`` as ``I`` (``Wt 171 Ib``), or the final letter lost (``mg/d``).
A clerk reads through such slips, and a search for ``mg/dL`` should find them.

A token is repaired only when the way OCR misreads units (:data:`MISREADS`)
leads to exactly one unit, and the line says it is a unit:

* a misread into a shape no unit or word has (``mg/dt``, ``x10*3/uL``, ``Ib``)
  needs a number (a value or a range) among the two tokens before it;
* a misread that only changes case, drops a character or is all lower-case
  letters like a word (``mg/dl``, ``fl``, ``mg/d``, ``UL``, ``mi``) could be meant as written
  (``mg/d`` is milligrams a day, ``FL`` a state, ``mi`` miles), so it also
  needs a reference range on the line (``70-99``, ``<200``, ``>=60``), which
  only a result row has.

Pure functions on text; measured in ``docs/benchmarks.md`` ("Unit repair").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

UNITS: tuple[str, ...] = (
    # concentrations
    "g/dL", "mg/dL", "ug/dL", "mcg/dL", "ng/dL", "g/L", "mg/L", "ug/L", "ng/L",
    "mg/mL", "ug/mL", "mcg/mL", "ng/mL", "pg/mL", "mmol/L", "umol/L", "nmol/L", "pmol/L",
    "mEq/L", "mOsm/kg", "U/L", "IU/L", "mU/L", "mIU/L", "U/mL", "IU/mL", "mIU/mL", "uIU/mL", "kU/L",
    "mg/g", "mg/24h", "g/24h",
    # counts and cell indices
    "x10^3/uL", "x10^6/uL", "x10^9/L", "x10^12/L", "K/uL", "M/uL", "cells/uL", "/uL", "/hpf", "/lpf",
    "fL", "pg",
    # rates, pressures, sizes and weights
    "mL/min", "mL/min/1.73m2", "mm/hr", "mmHg", "bpm", "lb", "lbs", "kg", "mcg", "mg", "mL",
)

# Names of tests as result rows print them (full names are words: intake.wordfix repairs those).
TESTS: tuple[str, ...] = (
    "WBC", "RBC", "HGB", "HCT", "MCV", "MCH", "MCHC", "RDW", "PLT", "MPV", "BUN", "CO2", "eGFR", "EGFR",
    "ALT", "AST", "ALP", "GGT", "LDH", "TSH", "PSA", "INR", "PTT", "aPTT", "HDL", "LDL", "VLDL", "A1c",
    "HbA1c", "CRP", "ESR", "BNP", "SpO2", "FT4", "T4", "T3", "CK", "CK-MB", "NT-proBNP", "UACR", "PTH",
)
_CASELESS = frozenset("COSVWXZPKU")  # letters OCR cannot tell upper from lower case
_TEST_FOLD = str.maketrans({"0": "O", "D": "O", "1": "I", "l": "I", "L": "I", "G": "C"})

# How OCR misreads each character of a unit ("" = the character is lost).
MISREADS: dict[str, tuple[str, ...]] = {
    "L": ("t", "l", "i", "I", "1", "|", "!", "b", "U", "-", ".", ""),
    "l": ("I", "1", "|", "i", "t"),
    "/": ("i", "I", "l", "1", "|", ""),
    "^": ("4", "*", "°", "%", "'", '"', ""),
    "c": ("e",),
    "d": ("cl",),
    "m": ("rn",),
    "g": ("q", "y"),
    "f": ("t",),
    "I": ("l", "1", "|"),
    "0": ("O", "o"),
    "1": ("t", "i", "l", "I", "|", "4"),
    "x": ("X",),
}
MAX_MISREADS = 2
_NUMBER = re.compile(r"[<>]?=?\d+(?:[.,]\d+)?%?")
_RANGE = re.compile(r"(?:\d+(?:\.\d+)?-\d+(?:\.\d+)?|[<>]=?\d+(?:\.\d+)?)")
_TRAIL = ".,;:)]"
_LOOKBACK = 2  # the value may be separated from its unit by a flag (H, L, *)


class Need(Enum):
    """What a line must show before a misread is repaired."""

    VALUE = "value"  # a number among the tokens just before
    RANGE = "range"  # ... and a reference range on the line


@dataclass(frozen=True)
class Fix:
    unit: str
    need: Need


def _misreads(unit: str) -> dict[str, int]:
    """Every way OCR misreads ``unit`` with up to :data:`MAX_MISREADS` characters (one for a unit of two
    letters, which two misreads would make into anything), and how many it took."""
    found: dict[str, int] = {}
    frontier = {unit}
    for step in range(1, (1 if len(unit) <= 2 else MAX_MISREADS) + 1):
        reached: set[str] = set()
        for variant in frontier:
            for i, ch in enumerate(variant):
                for alt in MISREADS.get(ch, ()):
                    reached.add(variant[:i] + alt + variant[i + 1:])
        for variant in reached:
            found.setdefault(variant, step)
        frontier = reached
    found.pop(unit, None)
    return found


def _need(variant: str, unit: str) -> Need:
    """Case-only misreads, lost characters and a last letter read as a stop or dash (``mg/d.``) can be
    real abbreviations: they need a result row."""
    if (variant.lower() == unit.lower() or len(variant) < len(unit) or variant[-1] in ".-"
            or (variant.isalpha() and variant.islower())):
        return Need.RANGE
    return Need.VALUE


@lru_cache(maxsize=1)
def fixes() -> dict[str, Fix]:
    """Misread spelling -> the one unit it stands for (spellings two units share are left out)."""
    best: dict[str, tuple[int, set[str]]] = {}
    for unit in UNITS:
        for variant, cost in _misreads(unit).items():
            have = best.get(variant)
            if have is None or cost < have[0]:
                best[variant] = (cost, {unit})
            elif cost == have[0]:
                have[1].add(unit)
    units = {u.lower() for u in UNITS}
    table: dict[str, Fix] = {}
    for variant, (_cost, hits) in best.items():
        if len(hits) == 1 and variant and variant not in UNITS and not _is_other_unit(variant, units, hits):
            unit = next(iter(hits))
            table[variant] = Fix(unit, _need(variant, unit))
    return table


def _is_other_unit(variant: str, units: set[str], hits: set[str]) -> bool:
    """A spelling that is another unit in some case (``ml`` for ``mL``, not for ``mg``) is not a misread."""
    return variant.lower() in units and variant.lower() not in {h.lower() for h in hits}


def _numeric(token: str) -> bool:
    return bool(_NUMBER.fullmatch(token) or _RANGE.fullmatch(token))


def _has_value_before(tokens: list[str], i: int) -> bool:
    return any(_numeric(t.rstrip(_TRAIL)) for t in tokens[max(0, i - _LOOKBACK):i])


def _split(token: str) -> tuple[str, str]:
    end = len(token)
    while end > 1 and token[end - 1] in _TRAIL and token[:end] not in fixes():
        end -= 1
    return token[:end], token[end:]


def _has_range(tokens: list[str]) -> bool:
    return any(_RANGE.fullmatch(t.rstrip(_TRAIL)) for t in tokens)


def repair_line(line: str) -> str:
    """One line of OCR text with its misread units and test name repaired (spacing kept)."""
    tokens = line.split(" ")
    has_range: bool | None = None
    _repair_test_name(tokens)
    for i, token in enumerate(tokens):
        core, tail = _split(token)
        fix = fixes().get(core)
        if fix is None or not _has_value_before(tokens, i):
            continue
        if fix.need is Need.RANGE:
            if has_range is None:
                has_range = _has_range(tokens)
            if not has_range:
                continue
        tokens[i] = fix.unit + tail
    return " ".join(tokens)


def _test_key(word: str) -> str:
    """``word`` with the differences OCR cannot see folded: the case of letters written alike in both
    cases (``co2``/``CO2``), and shapes it confuses (``0``/``O``/``D``, ``1``/``l``/``I``, ``G``/``C``)."""
    folded = "".join(c.upper() if c.upper() in _CASELESS else c for c in word)
    return folded.translate(_TEST_FOLD)


@lru_cache(maxsize=1)
def test_names() -> dict[str, str]:
    """Folded spelling -> the one test name it stands for (spellings two names share are left out)."""
    keys: dict[str, set[str]] = {}
    for name in TESTS:
        keys.setdefault(_test_key(name), set()).add(name)
    return {key: next(iter(names)) for key, names in keys.items() if len(names) == 1}


def _repair_test_name(tokens: list[str]) -> None:
    """The first word of a result row (a reference range on the line) misread from a test's name."""
    first = next((i for i, t in enumerate(tokens) if t), None)
    if first is None or len(tokens[first]) < 3:
        return
    word = tokens[first].rstrip(".")  # a speck read as a stop after the name
    name = test_names().get(_test_key(word))
    if name is not None and name != tokens[first] and _has_range(tokens):
        tokens[first] = name


def repair(text: str) -> str:
    """OCR text with the units of its result rows repaired (line structure kept)."""
    return "\n".join(repair_line(line) for line in text.split("\n"))


def vocabulary() -> Iterable[str]:
    """The units this module knows (for documentation and tests)."""
    return UNITS
