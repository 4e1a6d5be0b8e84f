"""Consistency check of intake: ledger vs data-home files vs search index.

Owns the definition of "nothing lost, nothing done twice" as checkable facts:

* every item is in a known state; unfinished ones are reported (not errors
  while a service runs);
* every finished item's file is where its state says (archive, duplicates,
  quarantine with a reason sidecar); no unowned files in the spool;
* no content (sha256) was processed twice; duplicates point at a processed item;
* processed items have documents, others none.

The search index's side (every indexed document there exactly once, nothing
else) is :func:`search.maint.index_problems`; the service layer
(:mod:`chartfile.service.checks`) puts both together for ``chartfile intake
check``, the crash and burst tests, and ``python -m benchmarks.burst``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select

from indexer.archive_verify import ArchiveReport
from indexer.db.engine import Database
from indexer.db.models import Document, IntakeItem
from indexer.ledger import FINAL_STATES, STATES, home_folder, item_path
from indexer.states import IntakeState
from intake.config import Config
from intake.inbox import InboxReport
from intake.spool import is_temp_name, reason_sidecar


@dataclass
class CheckReport:
    """Counts and the problems found (empty ``problems`` = consistent)."""

    states: dict[str, int] = field(default_factory=dict)
    documents: int = 0
    indexed: int = 0
    unfinished: int = 0
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # worth fixing, not inconsistencies (exit 0)
    archive: ArchiveReport | None = None  # the archive scrub (every stored original rehashed)
    inbox: InboxReport | None = None  # what is in the watched inbox now

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, object]:
        return {"states": self.states, "documents": self.documents, "indexed": self.indexed,
                "unfinished": self.unfinished, "problems": self.problems, "warnings": self.warnings,
                "archive": self.archive.as_dict() if self.archive else None,
                "inbox": self.inbox.as_dict() if self.inbox else None, "ok": self.ok}


def check_ledger(cfg: Config, db: Database) -> CheckReport:
    """Ledger and data-home checks; ``problems`` lists each inconsistency with item/document ids only."""
    report = CheckReport()
    with db.session() as s:
        items = list(s.scalars(select(IntakeItem).order_by(IntakeItem.id)))
        docs_per_item = dict(s.execute(
            select(Document.intake_item_id, func.count()).group_by(Document.intake_item_id)).all())
        report.documents = int(s.scalar(select(func.count()).select_from(Document)) or 0)
    report.states = dict(Counter(i.state for i in items))
    report.unfinished = sum(1 for i in items if i.state not in FINAL_STATES)
    _check_items(cfg, items, docs_per_item, report)
    _check_spool(cfg, items, report)
    return report


def _check_items(cfg: Config, items: list[IntakeItem], docs: dict[int, int], report: CheckReport) -> None:
    by_id = {i.id: i for i in items}
    processed_sha: Counter[str] = Counter(i.sha256 for i in items if i.state == IntakeState.PROCESSED and i.sha256)
    for sha, n in processed_sha.items():
        if n > 1:
            ids = [i.id for i in items if i.sha256 == sha and i.state == IntakeState.PROCESSED]
            report.problems.append(f"same content processed {n} times: items {ids}")
    for item in items:
        if item.state not in STATES:
            report.problems.append(f"item {item.id}: unknown state {item.state!r}")
            continue
        n_docs = docs.get(item.id, 0)
        if item.state == IntakeState.PROCESSED and n_docs == 0:
            report.problems.append(f"item {item.id}: processed without documents")
        if item.state != IntakeState.PROCESSED and n_docs:
            report.problems.append(f"item {item.id}: {item.state} but has {n_docs} documents")
        if item.state == IntakeState.DUPLICATE:
            original = by_id.get(item.duplicate_of_id or -1)
            if original is None or original.state != IntakeState.PROCESSED:
                report.problems.append(f"item {item.id}: duplicate of a non-processed item")
        if item.state in FINAL_STATES:
            _check_file(cfg, item, report)


def _check_file(cfg: Config, item: IntakeItem, report: CheckReport) -> None:
    path = item_path(cfg, item)
    if path is None or not path.is_file():
        report.problems.append(f"item {item.id}: file missing from the data home")
        return
    if path.parent.resolve() != home_folder(cfg, item).resolve():
        report.problems.append(f"item {item.id}: file not in the folder for {item.state}")
    if item.state == IntakeState.QUARANTINED:
        if not item.reason:
            report.problems.append(f"item {item.id}: quarantined without a reason")
        if not reason_sidecar(path).is_file():
            report.problems.append(f"item {item.id}: quarantined without a reason file")


def _check_spool(cfg: Config, items: list[IntakeItem], report: CheckReport) -> None:
    if not cfg.spool_dir.is_dir():
        return
    owned = {item_path(cfg, i) for i in items if i.state not in FINAL_STATES}
    for path in cfg.spool_dir.iterdir():
        if is_temp_name(path.name):
            report.problems.append("an unfinished temporary file is in the spool")
        elif path not in owned:
            report.problems.append(f"spool file not owned by an unfinished item: {path.name[:8]}")
