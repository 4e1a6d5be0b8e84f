"""The office's MRN format: learned from its roster, or set by hand.

Owns :class:`MrnFormat` — a letter prefix (possibly empty), a digit count
range and an optional check digit — with :func:`learn` (from the roster's
MRNs at ``patients import``), :func:`from_pattern` (an explicit
``extract.mrn_pattern`` setting) and the OCR-tolerant regex entity extraction
uses to find candidates.  A number of the right *shape* is only a candidate:
whether it is this office's MRN is decided by its label and by the roster
(:mod:`intake.identifiers`).  Pure functions; no I/O.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass

MIN_FOR_CHECK_DIGIT = 30  # fewer MRNs than this cannot show a check digit scheme (chance agreement)
MIN_SHARE = 0.95  # share of roster MRNs that must fit the learned shape
_SHAPE = re.compile(r"^([A-Z]*)[-\s]?(\d+)$")
# OCR renderings of digits inside an identifier (the letters a digit is commonly misread as)
OCR_DIGIT = r"[0-9OoQDIl|!SsBZzGT]"
_DIGIT_FIX = str.maketrans({"O": "0", "o": "0", "Q": "0", "D": "0", "I": "1", "l": "1", "|": "1", "!": "1",
                            "S": "5", "s": "5", "B": "8", "Z": "2", "z": "2", "G": "6", "T": "7"})
_PREFIX_CONFUSABLE = {"C": "CcG(", "F": "FfEP", "O": "O0o", "I": "I1l|", "S": "S5s", "B": "B8", "D": "D0",
                      "G": "G6C", "Z": "Z2", "L": "L1l|"}


@dataclass(frozen=True)
class MrnFormat:
    """How this office's MRNs look."""

    prefix: str = ""  # upper-case letters every MRN starts with
    min_digits: int = 1
    max_digits: int = 12
    check: str | None = None  # "luhn" | "mod11" when every roster MRN carries one
    source: str = "learned"  # learned | setting
    sample: int = 0  # how many roster MRNs it was learned from
    conforming: int = 0  # how many of them fit

    # ----- regexes -----------------------------------------------------------
    def pattern(self) -> str:
        """The plain regex (what ``extract.mrn_pattern`` would say)."""
        n = f"{{{self.min_digits}}}" if self.min_digits == self.max_digits else \
            f"{{{self.min_digits},{self.max_digits}}}"
        return re.escape(self.prefix) + rf"\d{n}"

    def tolerant(self) -> re.Pattern[str]:
        """Finds candidates as OCR may print them: confusable letters for digits, a space or dash after the prefix."""
        prefix = "".join("[" + re.escape(_PREFIX_CONFUSABLE.get(c, c + c.lower())) + "]" for c in self.prefix)
        sep = r"[\s\-]?" if self.prefix else ""
        n = f"{{{self.min_digits},{self.max_digits}}}"
        return re.compile(rf"(?<![A-Za-z0-9])(?P<prefix>{prefix}){sep}(?P<body>{OCR_DIGIT}{n})(?![A-Za-z0-9])")

    def normalise(self, raw: str) -> str | None:
        """The canonical MRN for an OCR rendering that fits this format, else None."""
        m = self.tolerant().fullmatch(raw.strip())
        if m is None:
            return None
        body = m.group("body").translate(_DIGIT_FIX)
        if not body.isdigit():
            return None
        return self.prefix + body

    def fits(self, value: str) -> bool:
        """``value`` (canonical) has this shape and, when the office uses one, a valid check digit."""
        m = _SHAPE.match(value.upper())
        if m is None or m.group(1) != self.prefix or not self.min_digits <= len(m.group(2)) <= self.max_digits:
            return False
        return self.check is None or check_ok(m.group(2), self.check)

    # ----- description / storage -------------------------------------------------
    def describe(self) -> str:
        digits = (f"{self.min_digits} digits" if self.min_digits == self.max_digits
                  else f"{self.min_digits}-{self.max_digits} digits")
        shape = f"prefix {self.prefix!r} + {digits}" if self.prefix else digits
        check = {"luhn": "a Luhn check digit", "mod11": "a mod-11 check digit"}.get(self.check or "", "no check digit")
        return f"{shape}, {check}"

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> MrnFormat | None:
        try:
            data = json.loads(text)
            return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        except (ValueError, TypeError):
            return None


def check_ok(digits: str, scheme: str) -> bool:
    """Does the last digit check the others under ``scheme``?"""
    if scheme == "luhn":
        total = 0
        for i, ch in enumerate(reversed(digits)):
            d = int(ch)
            if i % 2:
                d = d * 2 - 9 if d > 4 else d * 2
            total += d
        return total % 10 == 0
    if scheme == "mod11":
        body, last = digits[:-1], int(digits[-1])
        s = sum(int(c) * w for c, w in zip(reversed(body), range(2, 2 + len(body)), strict=False))
        return (11 - s % 11) % 11 % 10 == last
    return True


def learn(mrns: Iterable[str]) -> MrnFormat | None:
    """The format most of the roster's MRNs share, or None when they share none."""
    values = [m.strip().upper() for m in mrns if m and m.strip()]
    if not values:
        return None
    shapes = [(m.group(1), m.group(2)) for v in values if (m := _SHAPE.match(v))]
    prefixes = Counter(p for p, _ in shapes)
    if not prefixes:
        return None
    prefix, _ = prefixes.most_common(1)[0]
    bodies = [d for p, d in shapes if p == prefix]
    if len(bodies) < MIN_SHARE * len(values):
        return None
    lengths = sorted(len(d) for d in bodies)
    lo, hi = lengths[int(0.01 * (len(lengths) - 1))], lengths[-1 - int(0.01 * (len(lengths) - 1))]
    check = None
    if len(bodies) >= MIN_FOR_CHECK_DIGIT:
        check = next((s for s in ("luhn", "mod11") if all(check_ok(d, s) for d in bodies)), None)
    fmt = MrnFormat(prefix, lo, hi, check, "learned", len(values), 0)
    return MrnFormat(prefix, lo, hi, check, "learned", len(values), sum(fmt.fits(v) for v in values))


def from_pattern(pattern: str) -> MrnFormat | None:
    """An explicit ``extract.mrn_pattern`` of the form ``PREFIX\\d{n}`` / ``\\d{m,n}``; None otherwise."""
    m = re.fullmatch(r"([A-Za-z]*)\\d\{(\d+)(?:,(\d+))?\}", pattern.strip())
    if m is None:
        return None
    lo = int(m.group(2))
    hi = int(m.group(3) or lo)
    return MrnFormat(m.group(1).upper(), lo, hi, None, "setting")
