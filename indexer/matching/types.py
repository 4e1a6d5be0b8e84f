"""Public data types of the patient matcher.

This module owns the shapes that cross the matcher's boundary: the roster
entry (:class:`RosterPatient`), a clerk-confirmed alternate name
(:class:`Alias`), a scored candidate (:class:`Candidate`), the decision for
one document (:class:`MatchResult`) and a split segment of a batch fax
(:class:`Segment`).  No behaviour beyond trivial helpers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from intake.model import Entities

CERTAIN: Final = "certain"
PROBABLE: Final = "probable"
POSSIBLE: Final = "possible"
NONE: Final = "none"
GRADES: Final = (CERTAIN, PROBABLE, POSSIBLE, NONE)

FILE: Final = "file"
REVIEW: Final = "review"


@dataclass(frozen=True)
class RosterPatient:
    """One patient of the practice roster (the only patients a document may be filed to)."""

    id: int
    mrn: str
    family_name: str
    given_name: str
    middle_name: str | None = None
    dob: str | None = None  # ISO YYYY-MM-DD
    sex: str | None = None
    phone: str | None = None
    address: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None


@dataclass(frozen=True)
class Alias:
    """A name a clerk confirmed for a patient (maiden name, nickname the roster lacks).

    ``given_name`` may be empty: the alias then pairs ``family_name`` with the
    patient's roster given name.
    """

    patient_id: int
    family_name: str
    given_name: str = ""


@dataclass
class Candidate:
    """One roster patient scored against a document."""

    patient_id: int
    mrn: str
    score: float
    grade: str  # certain | probable | possible | none
    reasons: dict[str, str] = field(default_factory=dict)  # field -> "evidence +weight"


@dataclass
class MatchResult:
    """The matcher's decision for one document."""

    decision: str  # "file" | "review"
    grade: str  # grade of the best candidate, "none" without candidates
    score: float
    patient_id: int | None  # set only when decision == "file"
    mrn: str | None  # set only when decision == "file"
    reasons: list[str] = field(default_factory=list)
    review_reasons: list[str] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    proposed_split: list[tuple[int, int]] = field(default_factory=list)  # set by split_and_match

    @property
    def filed(self) -> bool:
        return self.decision == FILE


@dataclass
class Segment:
    """A page range of a source file that belongs to one patient (or to review)."""

    pages: tuple[int, int]  # first, last; 1-based within the source file
    is_cover: bool
    entities: Entities
    result: MatchResult
