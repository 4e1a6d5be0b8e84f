"""The explicit, ordered list of intake steps every file goes through — and the order that runs.

This is the one place that says what happens to a file and in which order.
:class:`indexer.service.IntakeService` executes it: it holds one handler per
step from :data:`SERVICE_ENTRY` on, and walks :data:`STEPS` with
:func:`following` (a handler may only say *go on*, *wait* for a worker
task, or *settle* the file early — duplicate or quarantined — which jumps to
``archive``).  The steps before it are run by the intake loops
(``stable``: :mod:`intake.watcher`; ``claim`` and ``hash``:
:func:`indexer.ledger.claim` with :mod:`intake.claim`).  Each step names the
process it runs in: the writer (parent) process for anything that touches the
ledger, database or index; a worker process (:mod:`intake.pool`) for
computation.  Failures at any step follow :mod:`indexer.failures`; a crash
between any two steps is finished by :mod:`indexer.recovery` at the next start.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum


class StepName(StrEnum):
    STABLE = "stable"
    CLAIM = "claim"
    HASH = "hash"
    DUPLICATE = "duplicate"
    SNIFF = "sniff"
    PLAN = "plan"
    READ_PAGES = "read_pages"
    ENTITIES = "entities"
    MATCH = "match"
    COMMIT = "commit"
    ARCHIVE = "archive"
    INDEX = "index"


class RunsIn(StrEnum):
    WRITER = "writer"
    WORKER = "worker"


@dataclass(frozen=True)
class Step:
    """One step of the pipeline."""

    name: StepName
    runs_in: RunsIn
    does: str


S, W, K = StepName, RunsIn.WRITER, RunsIn.WORKER
STEPS: tuple[Step, ...] = (
    Step(S.STABLE, W, "wait until size and mtime stay unchanged for the quiet period"),
    Step(S.CLAIM, W, "ledger row, then atomic move (watch) or durable copy (ingest) into spool/"),
    Step(S.HASH, W, "sha256 of the spooled file; state received"),
    Step(S.DUPLICATE, W, "an exact re-send of a processed file is recorded as a duplicate; "
                         "one whose original is still in flight waits for it"),
    Step(S.SNIFF, W, "content type from the first bytes; reject empty, oversized, mislabelled"),
    Step(S.PLAN, K, "open the file once: page count, text layers, limits (reject bad files); "
                    "a one-page file is also read and its entities found in the same task; "
                    "every worker task has a deadline and a crash fails only its own file"),
    Step(S.READ_PAGES, K, "per page, spread over all workers: text layer, else preprocess + OCR"),
    Step(S.ENTITIES, K, "spaCy rules + gazetteer: names, DOB, MRN, dates, sender, type, urgency"),
    Step(S.MATCH, W, "split per patient, score against the roster, decide file or review"),
    Step(S.COMMIT, W, "pages, documents, filings, review items, audit events: one transaction"),
    Step(S.ARCHIVE, W, "after the commit, move the original to where its state says "
                       "(archive/, archive/duplicates/, quarantine/ + reason) and record the path"),
    Step(S.INDEX, W, "mark the search index out of date; its one writer writes the new documents"),
)

STEP_NAMES: tuple[StepName, ...] = tuple(s.name for s in STEPS)
SERVICE_ENTRY = StepName.DUPLICATE  # the intake service runs every step from here on
SERVICE_STEPS: tuple[StepName, ...] = STEP_NAMES[STEP_NAMES.index(SERVICE_ENTRY):]


class Go(Enum):
    """What a step handler tells the walk."""

    NEXT = "next"  # go on with the following step
    WAIT = "wait"  # a worker task is out, or the item is held or scheduled: resume later
    SETTLE = "settle"  # settled early (duplicate, quarantined): go to archive
    DROP = "drop"  # nothing (more) to do here: forget the item


def following(name: StepName) -> StepName | None:
    """The step after ``name`` (None after the last)."""
    i = STEP_NAMES.index(name)
    return STEP_NAMES[i + 1] if i + 1 < len(STEP_NAMES) else None


def runs_in(name: StepName) -> RunsIn:
    return STEPS[STEP_NAMES.index(name)].runs_in
