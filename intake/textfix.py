"""Repair the small print of fixed text patterns that OCR misreads: labels, addresses, page counters.

Four patterns every office document repeats, each misread the same ways in thin print:

* **Field labels.** A label's colon read as a semicolon (``Provider; Dr. Park``,
  ``DOB; 03/04/1957``): a word ending in ``;`` that opens its line, before a
  capitalised word or a number, with no other semicolon on the line (that is a
  list: ``Hypertension; Hyperlipidemia; GERD``).  A semicolon further along a
  line (``Former smoker; 20 pack-years``) is left alone; one after a problem
  list's only item is read as a colon (``Hypertension; Lisinopril 10 mg`` ->
  ``Hypertension:``), which changes no word.
* **City, state and ZIP.** The comma after the city read as a stop (``Kent. WA 98032``):
  a word of four letters or more ending in ``.`` or ``;`` before a US state code and a ZIP
  code.  ``ID`` and ``MD`` are left out: a word before them and a number after is an
  identifier or a licence (``Acct. ID 55555``) far more often than Idaho or Maryland.
* **Page counters.** ``Page 1 of 1`` read as ``Page lof 1``, ``Page 1 ot l``,
  ``Page 1 of |``: a counter after ``Page`` whose digits are read as the letters
  and bars OCR confuses with ``1`` (:data:`intake.ocrchars.ONE_LOOKALIKES`, which the
  page-counter reader in :mod:`intake.layout` shares), or ``of`` as ``ot``/``0f`` (``0f``
  unless it could be a digit: ``Page 10f 12`` may be page 10, ``Page 20f5`` cannot).  A counter read right is
  left as printed; a repaired one keeps its spacing and writes ``of`` in the case of its
  ``Page`` (``PAGE l OF 3`` -> ``PAGE 1 OF 3``); one read as a single token (``1of2``) is spaced.
* **Numbers.** A ``0`` read as ``@`` inside a date, time or decimal (``MAR-@5-2026``,
  ``@.2-1.2``; ``@`` before a whole time or between two digits is "at": ``@9:45``,
  ``30@0.5``), and a decimal
  point read as a comma in a range whose other end has its point (``14,0-46.0``,
  ``4,.20-5.80``).

Pure functions on text; measured in ``docs/benchmarks.md`` ("Units, labels and page counters").
"""

from __future__ import annotations

import re

from intake.ocrchars import ONE_LOOKALIKES as ONE

STATES = frozenset(  # ID and MD left out: see above
    "AL AK AZ AR CA CO CT DE FL GA HI IL IN IA KS KY LA ME MA MI MN MS MO MT NE NV NH NJ NM NY NC ND "
    "OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR".split())
_ZIP = re.compile(r"\d{5}(?:-\d{4})?[,.]?")
_LABEL = re.compile(r"[A-Za-z][A-Za-z#.]*;")
_STATE_LIKE = re.compile(r"[A-Z]{2}")  # a state code, ID and MD among them
_VALUE_START = re.compile(r"[\d$#]|\(\d")  # a number, an amount, a phone's "(253)"
_CITY = re.compile(r"[A-Za-z][A-Za-z'-]{3,}[.;]")
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
_COMMA_RANGE = re.compile(r"\d+(?:[.,]{1,2}\d+)?-\d+(?:[.,]{1,2}\d+)?")
_DECIMAL_COMMA = re.compile(r",\.?(?=\d{1,2}(?!\d))")


def _number(read: str) -> str:
    return "1" if read in ONE else read


def _counter(match: re.Match[str]) -> str:
    n, m = _number(match["n"]), _number(match["m"])
    of = "OF" if match["page"].isupper() else "of"  # in the case of its "Page"
    as_read = (match["n"] == n and match["m"] == m and match["of"].lower() == "of"
               and bool(match["sp2"] and match["sp3"]))
    if as_read or not (n.isdigit() and m.isdigit()) or int(n) > int(m):
        return match.group(0)
    if match["of"].startswith("0") and not match["sp2"] and match["n"].isdigit() and int(n + "0") <= int(m):
        return match.group(0)
    return f"{match['page']}{match['sp1']}{n}{match['sp2'] or ' '}{of}{match['sp3'] or ' '}{m}"


def _starts_value(token: str) -> bool:
    return _VALUE_START.match(token) is not None


def _labels(tokens: list[str]) -> None:
    first = next((i for i, t in enumerate(tokens) if t), None)
    if first is None or not _LABEL.fullmatch(tokens[first]):
        return
    rest = tokens[first + 1:]
    following = rest[0] if rest else ""
    address = len(rest) > 1 and _STATE_LIKE.fullmatch(following) is not None and _ZIP.fullmatch(rest[1])
    if ((_starts_value(following) or following[:1].isupper()) and not address
            and not any(";" in t for t in rest)):
        tokens[first] = tokens[first][:-1] + ":"


def _addresses(tokens: list[str]) -> None:
    for i in range(len(tokens) - 2):
        if _CITY.fullmatch(tokens[i]) and tokens[i + 1] in STATES and _ZIP.fullmatch(tokens[i + 2]):
            tokens[i] = tokens[i][:-1] + ","


def _zero_at(token: str) -> bool:
    """``@`` stands for a ``0`` here: it makes a date, time or decimal, and is no "at" (``@9:45``, ``30@0.5``)."""
    if not _AT_SHAPES.fullmatch(token.replace("@", "0")):
        return False
    if token.startswith("@") and _AT_SHAPES.fullmatch(token[1:]):
        return False
    return not any(0 < i < len(token) - 1 and token[i - 1].isdigit() and token[i + 1].isdigit()
                   for i, c in enumerate(token) if c == "@")


def _numbers(tokens: list[str]) -> None:
    for i, token in enumerate(tokens):
        if "@" in token and _zero_at(token):
            token = token.replace("@", "0")
        if "," in token and _COMMA_RANGE.fullmatch(token) and "." in token.replace(",.", ","):
            token = _DECIMAL_COMMA.sub(".", token)
        tokens[i] = token


def repair_line(line: str) -> str:
    """One line of OCR text with its labels, addresses, page counters and numbers repaired (spacing kept,
    but for a counter read as one token)."""
    tokens = line.split(" ")
    _addresses(tokens)  # first: "Tacoma; WA 98405" is a city, not a label
    _labels(tokens)
    _numbers(tokens)
    return _COUNTER.sub(_counter, " ".join(tokens))


def repair(text: str) -> str:
    """OCR text with these patterns repaired (line structure kept)."""
    return "\n".join(repair_line(line) for line in text.split("\n"))
