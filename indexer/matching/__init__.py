"""Patient matching: scored matcher, filing policy and batch-fax splitting.

Public API (everything the indexer needs)::

    from indexer.matching import (RosterPatient, Alias, Roster, Candidate, MatchResult, Segment,
                                  match_entities, split_and_match)

Module map: ``normalize`` (folding, tokens, OCR confusions), ``fields``
(per-field comparators and weights), ``roster`` (blocking indexes, term
frequencies, twins), ``scoring`` (candidate score, grade, certainty gate),
``policy`` (file vs review), ``split`` (batch faxes), ``benchmark`` (CLI).
"""

from indexer.matching.policy import match_entities
from indexer.matching.roster import Roster
from indexer.matching.split import split_and_match
from indexer.matching.types import (
    CERTAIN,
    FILE,
    NONE,
    POSSIBLE,
    PROBABLE,
    REVIEW,
    Alias,
    Candidate,
    MatchResult,
    RosterPatient,
    Segment,
)

__all__ = [
    "CERTAIN", "FILE", "NONE", "POSSIBLE", "PROBABLE", "REVIEW",
    "Alias", "Candidate", "MatchResult", "Roster", "RosterPatient", "Segment",
    "match_entities", "split_and_match",
]
