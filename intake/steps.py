"""The explicit, ordered list of intake steps every file goes through.

This is the one place that says what happens to a file and in which order;
:mod:`indexer.service` executes it, the same way for ``watch`` and
``ingest``.  Each stage names the process it runs in: the writer (parent)
process for anything that touches the ledger, database or index; a worker
process (:mod:`intake.pool`) for computation.  Failures at any step follow
:mod:`indexer.failures`; a crash between any two steps is finished by
:mod:`indexer.recovery` at the next start.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    """One step of the pipeline."""

    name: str
    runs_in: str  # "writer" | "worker"
    does: str


STEPS: tuple[Step, ...] = (
    Step("stable", "writer", "wait until size and mtime stay unchanged for the quiet period"),
    Step("claim", "writer", "ledger row, then atomic move (watch) or durable copy (ingest) into spool/"),
    Step("hash", "writer", "sha256 of the spooled file; state received"),
    Step("duplicate", "writer", "an exact re-send of a processed file is recorded as a duplicate; "
                                "one whose original is still in flight waits for it"),
    Step("sniff", "writer", "content type from the first bytes; reject empty, oversized, mislabelled"),
    Step("plan", "worker", "open the file once: page count, text layers, limits (reject bad files); "
                           "a one-page file is also read and its entities found in the same task; "
                           "every worker task has a deadline and a crash fails only its own file"),
    Step("read_pages", "worker", "per page, spread over all workers: text layer, else preprocess + OCR"),
    Step("entities", "worker", "spaCy rules + gazetteer: names, DOB, MRN, dates, sender, type, urgency"),
    Step("match", "writer", "split per patient, score against the roster, decide file or review"),
    Step("commit", "writer", "pages, documents, filings, review items, audit events: one transaction"),
    Step("archive", "writer", "after the commit, move the original to where its state says "
                              "(archive/, archive/duplicates/, quarantine/ + reason) and record the path"),
    Step("index", "writer", "write new documents to the Whoosh index and mark them indexed"),
)

STEP_NAMES = tuple(s.name for s in STEPS)
