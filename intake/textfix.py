"""Repair the small print of fixed text patterns that OCR misreads: labels, addresses, page counters.

Four patterns every office document repeats, each misread the same ways in thin print:

* **Field labels.** A label's colon read as a semicolon (``Provider; Dr. Park``,
  ``DOB; 03/04/1957``).  A word ending in ``;`` that opens its line before a
  capitalised word or a number, or that stands before a number anywhere, is a label.
  A semicolon inside running text (``disorder; anemia``) is left alone.
* **City, state and ZIP.** The comma after the city read as a stop (``Kent. WA 98032``):
  a word ending in ``.`` or ``;`` before a US state code and a ZIP code.
* **Page counters.** ``Page 1 of 1`` read as ``Page lof 1``, ``Page 1 ot l``,
  ``Page 1 of |``: a counter after ``Page`` whose digits are read as the letters
  and bars OCR confuses with ``1`` (:data:`ONE`), or ``of`` as ``ot``/``0f``.
* **Numbers.** A ``0`` read as ``@`` in a date, time or decimal (``@3/02/2026``, ``MAR-@5-2026``),
  and a decimal point read as a comma in a range (``14,0-46.0``, ``4,.20-5.80``):
  a comma followed by one or two digits is no thousands separator.

Pure functions on text; measured in ``docs/benchmarks.md`` ("Text repair").
"""

from __future__ import annotations

import re

STATES = frozenset(
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND "
    "OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR".split())
ONE = "lLI|iJ!"  # what OCR reads for the digit 1 in thin print
_ZIP = re.compile(r"\d{5}(?:-\d{4})?[,.]?")
_LABEL = re.compile(r"[A-Za-z][A-Za-z#.]*;")
_CITY = re.compile(r"[A-Za-z][A-Za-z'-]*[.;]")
_N = rf"(?:\d{{1,3}}|[{re.escape(ONE)}])"  # a page number as read
_OF = r"(?:of|ot|0f|Of|OF|oF)"
# "Page 1 of 3", "Page lof 3", "Page 1 otl", "Page l of |" (the word before is the anchor)
_COUNTER = re.compile(rf"(?<![^\s])(?P<page>[Pp]age|PAGE|Pg\.?)(?P<sp1>\s+)(?P<n>{_N})(?P<sp2>\s*)(?P<of>{_OF})"
                      rf"(?P<sp3>\s*)(?P<m>{_N})(?![^\s.,;:|])")


# what a token with "@" for a 0 must become: a date, a time or a decimal ("@3/02/2026", "MAR-@5-2026",
# "@9:29", "@.2-1.2"); "@001/003" is a fax machine's page counter, as printed
_AT_SHAPES = re.compile(r"(?:\d{1,2}/\d{1,2}/\d{2,4}|\d{1,2}-\d{1,2}-\d{2,4}|[A-Z]{3}-\d{2}-\d{4}|\d{2}-[A-Z]{3}-\d{4}"
                        r"|\d{1,2}:\d{2}(?::\d{2})?|\d+\.\d+(?:-\d+\.\d+)?)[,.;:)]?")
# a reference range whose decimal point may be read as a comma ("14,0-46.0", "4,.20-5.80")
_RANGE = re.compile(r"\d+(?:[.,]{1,2}\d+)?-\d+(?:[.,]{1,2}\d+)?")
_DECIMAL_COMMA = re.compile(r",\.?(?=\d{1,2}(?!\d))")


def _number(read: str) -> str:
    return "1" if read in ONE else read


def _counter(match: re.Match[str]) -> str:
    n, m = _number(match["n"]), _number(match["m"])
    if not (n.isdigit() and m.isdigit()) or int(n) > int(m):
        return match.group(0)
    return f"{match['page']}{match['sp1']}{n} of {m}"


def _starts_value(token: str) -> bool:
    return bool(token) and (token[0].isdigit() or token[0] in "($#")


def _labels(tokens: list[str]) -> None:
    opening = True  # no word before on the line yet
    for i, token in enumerate(tokens):
        if not token:
            continue
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        if _LABEL.fullmatch(token) and (_starts_value(following) or (opening and following[:1].isupper())):
            tokens[i] = token[:-1] + ":"
        opening = False


def _addresses(tokens: list[str]) -> None:
    for i in range(len(tokens) - 2):
        if _CITY.fullmatch(tokens[i]) and tokens[i + 1] in STATES and _ZIP.fullmatch(tokens[i + 2]):
            tokens[i] = tokens[i][:-1] + ","


def _numbers(tokens: list[str]) -> None:
    for i, token in enumerate(tokens):
        if "@" in token and _AT_SHAPES.fullmatch(token.replace("@", "0")):
            token = token.replace("@", "0")
        if "," in token and _RANGE.fullmatch(token):
            token = _DECIMAL_COMMA.sub(".", token)
        tokens[i] = token


def repair_line(line: str) -> str:
    """One line of OCR text with its labels, addresses, page counters and numbers repaired (spacing kept)."""
    tokens = line.split(" ")
    _addresses(tokens)  # first: "Tacoma; WA 98405" is a city, not a label
    _labels(tokens)
    _numbers(tokens)
    return _COUNTER.sub(_counter, " ".join(tokens))


def repair(text: str) -> str:
    """OCR text with these patterns repaired (line structure kept)."""
    return "\n".join(repair_line(line) for line in text.split("\n"))
