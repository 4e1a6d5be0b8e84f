"""Repair units of measure OCR misread next to a value, and test names heading result rows.

A lab row names its unit from a small closed vocabulary (:data:`UNITS`, the
UCUM spellings US laboratories print): ``Glucose 97 mg/dL 70-99``.  Thin print
makes tesseract misread those few characters in the same ways again and again:
the final ``L`` as ``t``, ``l``, ``b``, ``i`` or a dash (``mg/dt``), the caret
as ``4``, ``*`` or ``°`` (``x1043/uL``), the slash as ``i`` (``UiL``), the
``l`` of ``lb`` as ``I`` (``Wt 171 Ib``), or the final letter lost (``mg/d``).
A clerk reads through such slips, and a search for ``mg/dL`` should find them.

A token is repaired only when the ways OCR misreads unit characters
(:data:`MISREADS`) lead to exactly one unit (at any number of misreads: ``mU``
could be ``mL`` or ``mU/L``, and is left alone), and the line says it is a unit:

* a misread into a shape no unit, abbreviation or word has (``mg/dt``,
  ``x10*3/uL``, ``UiL``, ``Ib``) needs its value right before it, past at most
  two flags or specks (``5.8 H g/db``, ``74 — mg/dt``);
* a misread that could be meant as written needs a result row: its value
  before it and a reference range after it, past at most two flags or specks
  (``97 mg/dl 70-99``), or the range right before it and the value before that
  (``97 70-99 mg/dl``).  A "range" followed by a word (``5-7 days``, ``3-4
  times``) or spanning years (``1980-2010``) is none.  That is a case-only
  misread (``mg/dl``), a lost letter (``mg/d`` is milligrams a day, ``UL``), a
  stop or dash for the last letter (``mg/d.``), and a spelling of lower-case
  letters (``fl``, ``mi``, ``gid``, ``meg``).  So ``aspirin 81 mg/d``, ``40 mg/d;
  LDL goal <70``, ``Prednisone 40 mg/d 5-7 days``, ``8 fl oz`` and ``Walk 2 mi 3-4
  times`` stay as written, and ``MCV 88 fl 80-100`` becomes ``fL``.

Never a repair: a spelling that is a unit of its own, in any case and before a
stop (:data:`SMALL_UNITS`: ``meq``, ``IU``, ``U``, ``g``, ``m``, ``mg.``), and a
single character (``f`` after a temperature).

The first word of a result row is repaired to a test's name (:data:`TESTS`)
when OCR's blind spots are all that differ: ``ROW`` for ``RDW`` and ``C02``
for ``CO2`` in capitals (``0``/``O``/``D`` and ``1``/``I`` alike), and by
case alone in lower case (``co2``; ``row`` is a word).  A word of mixed case
is left alone (``Row``; ``Alc`` is alcohol as often as a misread ``A1c``).

A stop or comma after a result row's unit, printed or repaired, is a speck in
the flag column when the row ends there or its reference range follows
(``0.60-1.30 mg/dL. H`` -> ``mg/dL H``); before more words it may end a
sentence (``3.5-5.1 mmol/L. KCl 20 meq``) and stays.

Pure functions on text; measured in ``docs/benchmarks.md`` ("Units, labels and page counters").
"""

from __future__ import annotations

import re
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
    "WBC", "RBC", "HGB", "HCT", "MCV", "MCH", "MCHC", "RDW", "PLT", "MPV", "BUN", "CO2", "EGFR",
    "ALT", "AST", "ALP", "GGT", "LDH", "TSH", "PSA", "INR", "PTT", "aPTT", "HDL", "LDL", "VLDL", "A1c",
    "HbA1c", "CRP", "ESR", "BNP", "SpO2", "FT4", "CK-MB", "NT-proBNP", "UACR", "PTH",
)
_CAPITALS_FOLD = str.maketrans({"0": "O", "D": "O", "1": "I"})  # what OCR confuses among capitals

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
_RANGE = re.compile(r"\d+(?:\.\d+)?-\d+(?:\.\d+)?|[<>]=?\d+(?:\.\d+)?")  # a reference range or bound
_YEARS = re.compile(r"(?:19|20)\d\d-(?:19|20)\d\d")
_PLAIN = re.compile(r"\d+(?:\.\d+)?%?")  # a value, not a bound
_TRAIL = ".,;:)]"
_UNIT_SET = frozenset(UNITS)
_SPECKS = frozenset({".", ","})  # what a speck after a row's unit is read as
# units written without a denominator, in any case: never a misread of a longer one
SMALL_UNITS = frozenset({"meq", "iu", "u", "g", "m", "l", "ug", "mcg", "ng", "pg", "mg", "kg", "ml", "dl", "cm",
                         "mm", "in", "oz", "mmol", "umol", "nmol", "pmol", "mosm", "units", "cc"})
MAX_NOISE = 2  # tokens of specks or flags between a value and its unit or range
FLAGS = frozenset({"H", "L", "HH", "LL", "A", "*", "!", "HI", "LO", "HIGH", "LOW", "(H)", "(L)", "C"})


class Need(Enum):
    """What a line must show before a misread is repaired."""

    VALUE = "value"  # its value just before it
    ROW = "row"  # ... and a reference range apart from the value: a result row


@dataclass(frozen=True)
class Fix:
    """What a misread spelling stands for, and what the line must show before it is repaired."""

    unit: str
    need: Need


def _misreads(unit: str) -> set[str]:
    """Every way OCR misreads ``unit`` with up to :data:`MAX_MISREADS` characters (one for a unit of two
    letters, which two misreads would make into anything)."""
    found: set[str] = set()
    frontier = {unit}
    for _ in range(1 if len(unit) <= 2 else MAX_MISREADS):
        frontier = {variant[:i] + alt + variant[i + 1:]
                    for variant in frontier for i, ch in enumerate(variant) for alt in MISREADS.get(ch, ())}
        found |= frontier
    found.discard(unit)
    return found


def _need(variant: str, unit: str) -> Need:
    """Case-only misreads, a lost last letter, a stop or dash for it, and spellings of lower-case letters
    (like words: ``mi``, ``fl``) can be meant as written: they need a result row."""
    if (variant.lower() == unit.lower() or len(variant) < len(unit) or variant[-1] in ".-"
            or (variant.isalpha() and variant.islower())):
        return Need.ROW
    return Need.VALUE


def _never(variant: str) -> bool:
    """Spellings never repaired: a unit of its own, in any case and before a stop (``meq``, ``IU``, ``U``,
    ``g``, ``m``, ``mg.``), and a single character."""
    core = variant.rstrip(".-")
    return core.lower() in SMALL_UNITS or len(core) < 2


def warm() -> None:
    """Build the tables now (a worker's start), not on its first page."""
    fixes()
    test_names()


@lru_cache(maxsize=1)
def fixes() -> dict[str, Fix]:
    """Misread spelling -> the one unit it stands for (a spelling any two units reach is left out)."""
    reached: dict[str, set[str]] = {}
    for unit in UNITS:
        for variant in _misreads(unit):
            reached.setdefault(variant, set()).add(unit)
    units = {u.lower() for u in UNITS}
    table: dict[str, Fix] = {}
    for variant, hits in reached.items():
        unit = next(iter(hits))
        if (len(hits) == 1 and variant and variant not in UNITS and not _is_other_unit(variant, units, hits)
                and not _never(variant)):
            table[variant] = Fix(unit, _need(variant, unit))
    return table


def _is_other_unit(variant: str, units: set[str], hits: set[str]) -> bool:
    """A spelling that is another unit in some case (``ml`` for ``mL``, not for ``mg``) is not a misread."""
    return variant.lower() in units and variant.lower() not in {h.lower() for h in hits}


def _numeric(token: str) -> bool:
    return bool(_NUMBER.fullmatch(token) or _RANGE.fullmatch(token))


def _noise(token: str) -> bool:
    """A flag, or a table rule's speck read as a token (``—``, ``_``, ``&``): no word of the row."""
    return token in FLAGS or not any(c.isalnum() for c in token)


def _next_word(tokens: list[str], j: int, step: int) -> int:
    """The next token from ``j`` on (``step`` -1 back, 1 on) past at most :data:`MAX_NOISE` noise tokens."""
    for _ in range(MAX_NOISE):
        if 0 <= j < len(tokens) and _noise(tokens[j]):
            j += step
    return j


def _at(tokens: list[str], j: int) -> str:
    return tokens[j].rstrip(_TRAIL) if 0 <= j < len(tokens) else ""


def _value_before(tokens: list[str], i: int) -> int | None:
    """Where the unit's value stands: before it, past a flag or specks (``5.8 H g/dL``, ``74 — mg/dL``)."""
    j = _next_word(tokens, i - 1, -1)
    return j if _numeric(_at(tokens, j)) else None


def _reference_range(tokens: list[str], j: int, unit: int) -> bool:
    """A reference range at ``j``: not a span of years, not a count followed by a word (``5-7 days``;
    a unit may follow, the one at ``unit`` or any other)."""
    token = _at(tokens, j)
    if not _RANGE.fullmatch(token) or _YEARS.fullmatch(token):
        return False
    following = _next_word(tokens, j + 1, 1)
    word = _at(tokens, following)
    return following == unit or not word[:1].islower() or word in UNITS or word in fixes()


def _result_row(tokens: list[str], i: int) -> bool:
    """The unit at ``i`` stands in a result row: a reference range after it and its value before it
    (``97 mg/dl 70-99``), or the range right before it and the value before that (``97 70-99 mg/dl``)."""
    before = _value_before(tokens, i)
    if before is None:
        return False
    if _reference_range(tokens, _next_word(tokens, i + 1, 1), i):
        return not _RANGE.fullmatch(_at(tokens, before))
    return _reference_range(tokens, before, i) and _value_before(tokens, before) is not None


def _plain_number(token: str) -> bool:
    return bool(_PLAIN.fullmatch(token.rstrip(_TRAIL)))


def _split(token: str) -> tuple[str, str]:
    """The token and the punctuation after it (``mg/dt,`` -> ``mg/dt``, ``,``)."""
    if token in fixes():
        return token, ""
    core = token.rstrip(_TRAIL)
    return core, token[len(core):]


def _speck_after(tokens: list[str], i: int, tail: str) -> bool:
    """The stop or comma after a result row's unit is a speck (``70-99 mg/dL.``): the row ends there, or its
    reference range follows. A stop before more words may end a sentence (``mmol/L. KCl 20 meq``) and stays."""
    if tail not in _SPECKS or not _result_row(tokens, i):
        return False
    after = _next_word(tokens, i + 1, 1)
    return all(_noise(t) for t in tokens[after:]) or _RANGE.fullmatch(_at(tokens, after)) is not None


def repair_line(line: str) -> str:
    """One line of OCR text with its misread units and test name repaired (spacing kept)."""
    tokens = line.split(" ")
    _repair_test_name(tokens)
    for i, token in enumerate(tokens):
        core, tail = _split(token)
        fix = fixes().get(core)
        if fix is not None and _shown(tokens, i, fix):
            unit = fix.unit
        elif core in _UNIT_SET:
            unit = core
        else:
            continue
        tokens[i] = unit + ("" if _speck_after(tokens, i, tail) else tail)
    return " ".join(tokens)


def _shown(tokens: list[str], i: int, fix: Fix) -> bool:
    """The line shows what the misread at ``i`` needs: its value before it, or a whole result row."""
    return _result_row(tokens, i) if fix.need is Need.ROW else _value_before(tokens, i) is not None


def _test_key(word: str) -> str | None:
    """``word`` with what OCR cannot see folded away, by its case; None for mixed case (a word)."""
    letters = [c for c in word if c.isalpha()]
    if letters and all(c.isupper() for c in letters):
        return word.translate(_CAPITALS_FOLD)
    if letters and all(c.islower() for c in letters):
        return word.upper()  # by case alone: "row" is a word, not a misread RDW
    return None


@lru_cache(maxsize=1)
def test_names() -> dict[str, str]:
    """Folded spelling -> the one test name it stands for (spellings two names share are left out)."""
    keys: dict[str, set[str]] = {}
    for name in TESTS:
        keys.setdefault(name.upper().translate(_CAPITALS_FOLD), set()).add(name)
    return {key: next(iter(names)) for key, names in keys.items() if len(names) == 1}


def _test_name(word: str) -> str | None:
    key = _test_key(word)
    if key is None:
        return None
    if word.islower():  # compared by case alone
        return next((name for name in TESTS if name.upper() == key), None)
    return test_names().get(key)


def _repair_test_name(tokens: list[str]) -> None:
    """The first word of a result row misread from a test's name (``ROW 13.8 11.5-14.5``)."""
    first = next((i for i, t in enumerate(tokens) if t), None)
    if first is None or len(tokens[first]) < 3:
        return
    word = tokens[first].rstrip(".")  # a speck read as a stop after the name
    name = _test_name(word)
    if name is None or name == tokens[first] or (word != name and word.upper() == name.upper()
                                                  and not word.islower()):
        return  # no test, or one as printed (A1C for A1c)
    rest = range(first + 1, len(tokens))
    if any(_plain_number(tokens[j]) for j in rest) and any(_reference_range(tokens, j, -1) for j in rest):
        tokens[first] = name


def repair(text: str) -> str:
    """OCR text with the units and test names of its result rows repaired (line structure kept)."""
    return "\n".join(repair_line(line) for line in text.split("\n"))
