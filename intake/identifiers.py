"""Whose identifier is it?  Reading an MRN-style label the way a records clerk does.

A number is this office's MRN by its label and its place, not by its shape
alone: ``Your MRN``, ``Ref MRN (<our office>)``, ``Client Pt ID``, ``Office
use - MRN`` name the receiving office; ``<sender> MRN`` on the sender's own
letterhead, ``Lab Pt ID``, ``Member ID`` name someone else; a bare ``MRN:``
says nothing and is trusted only when the roster agrees
(:data:`~intake.model.IdScheme` ``plain``).  This module owns that
classification (:func:`label_owner`) and the office MRN format objects the
extractor finds candidates with (:func:`load_format`).  Pure functions.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from intake.mrnformat import MrnFormat


class Owner(Enum):
    """Whose identifier a label announces."""

    OURS = "ours"  # the receiving office's (this office's)
    THEIRS = "theirs"  # the sender's or a third party's
    UNSAID = "unsaid"  # a bare "MRN:" / "Patient ID:" / "Chart #"


# Words in or just before an ID label that say it is the *recipient's* number: the referring / client
# office is the one the document is sent to.
OURS_WORDS = frozenset({"your", "our", "ref", "referring", "referral", "client", "office", "pcp", "practice",
                        "requesting", "recipient", "receiving", "clinic's"})
# ...and words that say it belongs to someone else.
THEIRS_WORDS = frozenset({"lab", "laboratory", "hospital", "outside", "external", "ext", "facility", "their",
                          "sender", "sending", "insurance", "payer", "plan", "member", "pharmacy", "rx", "imaging",
                          "radiology", "accession", "specimen"})
_FIELD_BREAK = re.compile(r":|\||\s{3,}|\t")
_TRAILING_WORDS = re.compile(r"(?:[A-Za-z][A-Za-z'’&.]*[ \-]+){1,4}$")
_WORD = re.compile(r"[A-Za-z][A-Za-z'’&.\-]*")
_NOT_QUALIFIER = frozenset({"male", "female", "m", "f", "x", "u", "unknown", "other", "sex", "gender", "and",
                            "the", "of", "for", "-", "no", "number", "id", "mrn", "mr", "chart", "patient", "pt",
                            "medical", "record", "records", "#", "use"})
_ORG_STOP = frozenset({"the", "of", "and", "at", "for", "&", "inc", "llc", "pc", "pllc", "md", "group", "center",
                       "centre", "health", "medical", "clinic", "hospital", "associates", "services", "care"})


@dataclass(frozen=True)
class OrgName:
    """An organisation name reduced to the words and initials a label might use for it."""

    words: frozenset[str]
    initials: str

    @classmethod
    def of(cls, name: str | None) -> OrgName | None:
        if not name:
            return None
        toks = [t.lower().strip(".'’") for t in _WORD.findall(name)]
        toks = [t for t in toks if t]
        if not toks:
            return None
        initials = "".join(t[0] for t in toks if t not in ("of", "the", "and", "&"))
        return cls(frozenset(t for t in toks if t not in _ORG_STOP and len(t) > 1), initials)

    def named_by(self, qualifier: list[str]) -> bool:
        """Do these qualifier words name this organisation (a distinctive word, or its initials)?"""
        low = [q.lower().strip(".'’") for q in qualifier]
        if any(q in self.words for q in low):
            return True
        return any(len(q) >= 2 and q == self.initials for q in low)


def qualifier_words(text: str, label_start: int, label_end: int) -> list[str]:
    """Words that qualify an ID label: up to three just before it in the same field, and a
    parenthesis right after it (``Ref MRN (Maple Grove):``)."""
    line_start = text.rfind("\n", 0, label_start) + 1
    before = _FIELD_BREAK.split(text[line_start:label_start])[-1]
    run = _TRAILING_WORDS.search(before)  # only words right before the label: "(Age 56) MR#" has none
    words = _WORD.findall(run.group(0))[-3:] if run else []
    after = re.match(r"\s*\(([^)]{1,40})\)", text[label_end:label_end + 45])
    if after:
        words += _WORD.findall(after.group(1))
    return words


def label_owner(label: str, qualifier: list[str], senders: list[OrgName], office: list[OrgName]) -> Owner:
    """Whose number follows this ID label (see the module docstring)."""
    words = [w.lower().strip(".'’") for w in _WORD.findall(label)] + [q.lower().strip(".'’") for q in qualifier]
    if any(w in OURS_WORDS for w in words):
        return Owner.OURS
    if any(o.named_by(qualifier) for o in office):
        return Owner.OURS
    if any(o.named_by(qualifier) for o in senders):
        return Owner.THEIRS
    if any(w in THEIRS_WORDS for w in words):
        return Owner.THEIRS
    named = [q for q in qualifier if q[:1].isupper() and q.lower().strip(".") not in _NOT_QUALIFIER]
    if named:  # an organisation that is not the sender: the office the document is addressed to
        return Owner.OURS
    return Owner.UNSAID


# ---------------------------------------------------------------------- formats
class OwnFormat(Protocol):
    """What the extractor needs of the office MRN format."""

    @property
    def distinctive(self) -> bool: ...

    def tolerant(self) -> re.Pattern[str]: ...

    def normalise(self, raw: str) -> str | None: ...


@dataclass(frozen=True)
class LearnedFormat:
    """An :class:`MrnFormat` as the extractor uses it."""

    fmt: MrnFormat

    @property
    def distinctive(self) -> bool:
        """A letter prefix makes the shape alone telling (nobody else's numbers start ``CF``)."""
        return bool(self.fmt.prefix)

    def tolerant(self) -> re.Pattern[str]:
        return self.fmt.tolerant()

    def normalise(self, raw: str) -> str | None:
        value = self.fmt.normalise(raw)
        return value if value is not None and self.fmt.fits(value) else None


@dataclass(frozen=True)
class RegexFormat:
    """An explicit ``extract.mrn_pattern`` that is not of the simple prefix-and-digits form."""

    pattern: str

    @property
    def distinctive(self) -> bool:
        return bool(re.match(r"[A-Za-z]", self.pattern))

    def tolerant(self) -> re.Pattern[str]:
        return re.compile(rf"(?<![A-Za-z0-9])(?:{self.pattern})(?![A-Za-z0-9])", re.IGNORECASE)

    def normalise(self, raw: str) -> str | None:
        value = raw.strip().upper()
        return value if re.fullmatch(self.pattern, value, re.IGNORECASE) else None


def load_format(text: str | None) -> LearnedFormat | RegexFormat | None:
    """The format from :func:`indexer.patients.mrn_format_json` output (None: no roster yet)."""
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if isinstance(data, dict) and "pattern" in data:
        return RegexFormat(str(data["pattern"]))
    fmt = MrnFormat.from_json(text)
    return LearnedFormat(fmt) if fmt is not None else None
