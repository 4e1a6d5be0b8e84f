"""What an authorization's expiry phrase means: a date, a duration from the signature, or an event.

Owns the reading of the words after "expires" on a release form (or typed by
a clerk) into one :class:`Expiry`:

* ``DATE`` — "on 06/30/2026", "until 12/31/2027", "December 31, 2027";
* ``RELATIVE`` — a duration counted from the signature: "one year from the
  date signed", "90 days after signature", "six months from today" (the day
  the form was written is the day it was signed), "valid for 12 months";
  the date is worked out once the signature date is known.  "… or <event>,
  whichever comes first" keeps the event as well;
* ``EVENT`` — a real event with no date: "upon settlement of the claim",
  "at the end of the treatment relationship";
* ``NONE`` — the form says it never expires ("none", "until revoked"): not
  allowed by 164.508(c)(1)(v) outside research;
* ``UNKNOWN`` — anything that cannot be worked out (a duration counted from
  a day Chartfile does not know, "whichever comes later", a garbled date).

A duration is never an event: an authorization whose expiry cannot be worked
out gets no date and stays invalid until a clerk enters one.  Pure; nothing
here reads the clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from dateutil.relativedelta import relativedelta

from intake.dates import find_dates


class ExpiryKind(StrEnum):
    """How an expiry phrase was understood."""

    DATE = "date"
    RELATIVE = "relative"
    EVENT = "event"
    NONE = "none"
    UNKNOWN = "unknown"


_UNITS = {"day": "days", "week": "weeks", "month": "months", "year": "years", "yr": "years", "mo": "months",
          "wk": "weeks"}
_ONES = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
         "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
         "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}
_NUMBER_WORD = (r"(?:(?:one|two|three|four|five|six|seven|eight|nine)\s+hundred(?:\s+(?:and\s+)?)?)?"
                rf"(?:(?:{'|'.join(_TENS)})(?:[\s-](?:{'|'.join(k for k in _ONES if len(k) > 2)}))?"
                rf"|{'|'.join(sorted(_ONES, key=len, reverse=True))})")
_DURATION = re.compile(
    rf"(?i)\b(?P<words>{_NUMBER_WORD})?\s*(?:\(\s*(?P<paren>\d{{1,4}})\s*\)|(?P<digits>\d{{1,4}}))?\s*"
    r"(?:full\s+|calendar\s+)?(?P<unit>years?|yrs?|months?|mos?|weeks?|wks?|days?)\b")
_PREPOSITION = re.compile(r"(?i)^\W*(?:from|after|following|since|past|beyond|of)\b\s*(?P<anchor>.*)$")
_SIGNATURE_ANCHOR = re.compile(
    r"(?i)^(?:the\s+|my\s+|its\s+)?(?:"
    r"(?:date|day)\s+(?:of\s+)?(?:my\s+|the\s+|this\s+|its\s+)?(?:signature|signing|execution)"
    r"|(?:date|day)\s+(?:(?:it|this(?:\s+(?:form|authori[sz]ation|document))?|the\s+(?:form|authori[sz]ation))"
    r"\s+(?:is|was)\s+|i\s+|that\s+i\s+)?sign(?:ed|ing)"
    r"|(?:it|this(?:\s+(?:form|authori[sz]ation))?|the\s+(?:form|authori[sz]ation))\s+(?:is|was|being)\s+signed"
    r"|(?:when|once)\s+i\s+sign(?:ed)?|signature|signing|execution|today|this\s+date|date\s+hereof"
    r"|(?:date|day)\s+(?:of\s+)?(?:this|the)\s+(?:authori[sz]ation|form|document|release)"
    r"|date\s+(?:written|shown|indicated|given)?\s*(?:above|below))\b")
_NEVER = re.compile(r"(?i)^\W*(?:none|never|n/?a|no\s+expiration(?:\s+date)?|does\s+not\s+expire|indefinite(?:ly)?"
                    r"|until\s+(?:i\s+)?revoke[sd]?\b.*|until\s+revocation)\W*$")
_WHICHEVER = re.compile(r"(?i),?\s*whichever\s+(?:comes|occurs|is|happens)?\s*(?P<which>first|sooner|earlier|"
                        r"earliest|later|last|latest)\b.*$")
_DATE_LEAD = re.compile(r"(?i)^\W*(?:on|until|through|thru|by|to|at\s+midnight\s+on|at\s+the\s+end\s+of|"
                        r"no\s+later\s+than|before|:)?\W*$")
_GARBLED = re.compile(r"^\W{0,3}\d")
FUTURE_YEARS = 60  # expiry dates may lie decades ahead; the date finder's window must reach them


@dataclass(frozen=True)
class Duration:
    """A length of time as written ("one year", "90 days")."""

    amount: int
    unit: str  # days | weeks | months | years

    def after(self, start: date) -> date:
        return start + relativedelta(**{self.unit: self.amount})

    def __str__(self) -> str:
        unit = self.unit if self.amount != 1 else self.unit[:-1]
        return f"{self.amount} {unit}"


@dataclass(frozen=True)
class Expiry:
    """What an expiry phrase means for one authorization."""

    kind: ExpiryKind
    phrase: str
    on: date | None = None  # the day it is no longer valid (DATE, or RELATIVE once the anchor is known)
    duration: Duration | None = None
    event: str | None = None  # EVENT, or the event of "… whichever comes first"
    problem: str | None = None  # why no date could be worked out (clerk-readable)

    @property
    def explanation(self) -> str:
        """One clerk-readable line: what the phrase was read as."""
        if self.kind is ExpiryKind.RELATIVE and self.duration is not None:
            base = f"{self.duration} from the signature date"
            return base + (f" = {self.on.isoformat()}" if self.on else "") + (
                f", or earlier on: {self.event}" if self.event else "")
        if self.kind is ExpiryKind.DATE and self.on:
            return self.on.isoformat()
        if self.kind is ExpiryKind.EVENT:
            return f"event: {self.event}"
        return self.problem or self.phrase


def _number(words: str | None, paren: str | None, digits: str | None) -> int | None:
    """The amount of a duration; digits in parentheses win over the words ("one (1) year")."""
    if paren or digits:
        return int(paren or digits or 0)
    if not words:
        return None
    total = 0
    text = words.lower().replace("-", " ").replace(" and ", " ")
    for token in text.split():
        if token == "hundred":
            total = max(total, 1) * 100
        else:
            total += _ONES.get(token, 0) + _TENS.get(token, 0)
    return total or None


def find_duration(phrase: str) -> tuple[Duration, re.Match[str]] | None:
    """The first duration written in ``phrase`` ("one (1) year", "90 days", "six months")."""
    for m in _DURATION.finditer(phrase):
        amount = _number(m.group("words"), m.group("paren"), m.group("digits"))
        if amount is None or amount <= 0:
            continue
        unit = m.group("unit").lower().rstrip("s")
        return Duration(amount, _UNITS[unit]), m
    return None


def absolute_dates(text: str, today: date) -> list[tuple[date, int, int]]:
    """Every date written in ``text`` with its span; years far ahead are allowed (an expiry may be)."""
    reference = date(today.year + FUTURE_YEARS, 12, 31)
    return [(date.fromisoformat(h.iso), h.start, h.end) for h in find_dates(text, "any", reference)]


def _relative(phrase: str, duration: Duration, m: re.Match[str], signed_on: date | None,
              today: date) -> Expiry:
    rest = phrase[m.end():]
    if (w := _WHICHEVER.search(rest)) and w.group("which").lower() in ("later", "last", "latest"):
        return Expiry(ExpiryKind.UNKNOWN, phrase, duration=duration,
                      problem=f"'{phrase}' ends on whichever comes later: a clerk must enter the date")
    rest = rest[:w.start()] if w else rest
    # "<duration> … or <event>" / "<event> or <duration>": whichever comes first (the safe reading)
    event = _other_alternative(phrase[:m.start()], rest) or None
    rest = re.split(r"(?i)\s+or\b", rest, maxsplit=1)[0]
    anchor_text = ""
    if p := _PREPOSITION.match(rest):
        anchor_text = p.group("anchor").strip()
    anchor_date: date | None = signed_on
    if anchor_text:
        dates = absolute_dates(anchor_text[:40], today)
        if dates and dates[0][1] <= 4:
            anchor_date = dates[0][0]
        elif not _SIGNATURE_ANCHOR.match(anchor_text):
            counted = re.split(r"\s+(?:or|and|unless)\b|[,;.]", anchor_text, maxsplit=1)[0].strip()
            return Expiry(ExpiryKind.UNKNOWN, phrase, duration=duration, event=event,
                          problem=f"{duration} counted from '{counted}', a day Chartfile does not know: "
                                  "a clerk must enter the expiry date")
    if anchor_date is None:
        return Expiry(ExpiryKind.RELATIVE, phrase, duration=duration, event=event,
                      problem=f"expires {duration} after the signature, but the signature date is missing")
    return Expiry(ExpiryKind.RELATIVE, phrase, on=duration.after(anchor_date), duration=duration, event=event)


def _other_alternative(before: str, after: str) -> str:
    """The event of "<event> or <duration>, whichever first" / "<duration> … or <event>, whichever first"."""
    tail = re.split(r"(?i)\bor\b", after, maxsplit=1)
    if len(tail) == 2 and tail[1].strip(" ,;"):
        return tail[1].strip(" ,;.")
    head = re.split(r"(?i)\bor\b\s*$", before.strip(), maxsplit=1)
    return head[0].strip(" ,;.") if len(head) == 2 else ""


def interpret(phrase: str, *, signed_on: date | None, today: date) -> Expiry:
    """Read an expiry phrase ("one year from the date signed", "12/31/2027", "end of treatment")."""
    text = re.sub(r"\s+", " ", phrase).strip(" .;,")
    if not text:
        return Expiry(ExpiryKind.UNKNOWN, phrase, problem="no expiry written")
    if _NEVER.match(text):
        return Expiry(ExpiryKind.NONE, text, problem=f"the form says it does not expire ('{text}'); an "
                                                     "expiration date or event is required [164.508(c)(1)(v)]")
    found = find_duration(text)
    dates = absolute_dates(text, today)
    if found is not None and not (dates and dates[0][1] < found[1].start()):
        return _relative(text, found[0], found[1], signed_on, today)
    if dates and _DATE_LEAD.match(text[:dates[0][1]]):
        return Expiry(ExpiryKind.DATE, text, on=dates[0][0])
    if _GARBLED.match(text) or dates:
        return Expiry(ExpiryKind.UNKNOWN, text, problem=f"the expiry '{text}' could not be read as a date: "
                                                        "a clerk must enter it")
    if len(re.findall(r"[A-Za-z]", text)) < 3:
        return Expiry(ExpiryKind.UNKNOWN, text, problem=f"the expiry '{text}' could not be read")
    return Expiry(ExpiryKind.EVENT, text, event=text)
