"""Characters OCR confuses, shared by identifier reading (intake) and matching (indexer).

Owns the one table of OCR-confusable character pairs seen in identifiers and
dates (digit/digit such as 6/8, digit/letter such as 0/O) and the variants
helper built on it.  Pure data and functions.
"""

from __future__ import annotations

from collections.abc import Iterator

# What thin print reads for the digit 1 where only a number can stand (page counters: "Page lof l").
ONE_LOOKALIKES = "lLI|iJ!"

CONFUSABLE_PAIRS: tuple[tuple[str, str], ...] = (
    ("0", "8"), ("0", "6"), ("0", "9"), ("0", "O"), ("0", "D"), ("0", "Q"),
    ("1", "7"), ("1", "4"), ("1", "I"), ("1", "L"), ("1", "T"),
    ("2", "Z"), ("2", "7"), ("3", "8"), ("3", "5"), ("4", "9"), ("4", "A"),
    ("5", "6"), ("5", "S"), ("6", "8"), ("6", "G"), ("8", "9"), ("8", "B"), ("9", "G"),
)


def confusion_table() -> dict[str, frozenset[str]]:
    """Each character mapped to the characters OCR reads it as (symmetric)."""
    table: dict[str, set[str]] = {}
    for a, b in CONFUSABLE_PAIRS:
        table.setdefault(a, set()).add(b)
        table.setdefault(b, set()).add(a)
    return {k: frozenset(v) for k, v in table.items()}


CONFUSABLE: dict[str, frozenset[str]] = confusion_table()


def digit_variants(digits: str) -> Iterator[tuple[str, str]]:
    """``digits`` with one digit replaced by a digit OCR confuses it with: (variant, "a/b")."""
    for i, ch in enumerate(digits):
        for alt in sorted(CONFUSABLE.get(ch, frozenset())):
            if alt.isdigit():
                yield digits[:i] + alt + digits[i + 1:], f"{ch}/{alt}"
