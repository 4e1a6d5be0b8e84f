"""The search index as a service: keep it in step after commands, rebuild, check and repair, optimize.

Owns *when* the index's one writer (:mod:`search.writer`) runs for the
front ends: after a command's own commit (:func:`after_commit`: only if the
writer lock is free at once — otherwise the running service, which holds it
briefly and often, drains the documents the command marked pending), and the
administrator's ``index`` commands, which wait for the lock.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass

from chartfile.service.actor import Actor
from chartfile.service.office import Office
from chartfile.service.permissions import Action, require
from indexer.audit import record as audit
from intake.errors import ChartfileError
from search.maint import CheckReport, check_index, rebuild_online, repair

__all__ = ["CheckReport", "IndexCheck", "after_commit", "check_and_repair", "optimize_index", "rebuild_index"]
from search.writer import drain, optimize, writer_lock

log = logging.getLogger(__name__)


def after_commit(office: Office) -> int | None:
    """Write the documents this command marked pending, if the writer lock is free now.

    The command's change is already committed; an index problem here is
    logged, never reported as the command's failure (``chartfile index check``
    shows it and the running service retries).
    """
    try:
        return drain(office.db, office.search_index(), wait=False)
    except (ChartfileError, OSError) as exc:
        log.warning("search index not updated yet (%s); it catches up later", exc)
        return None


def rebuild_index(office: Office, actor: Actor, progress: Callable[[int], None] | None = None) -> int:
    """Rebuild the index from the database while intake keeps running; returns documents indexed."""
    require(actor, Action.INDEX_REBUILD)
    n = rebuild_online(office.db, office.search_index(), progress)
    with office.db.transaction() as s:
        audit(s, actor=actor.audit_name, action="E", event_type="index.rebuild", detail=f"{n} documents")
    return n


@dataclass
class IndexCheck:
    """An index check: the differences found, what a repair did (None: not asked), and after."""

    before: CheckReport
    repaired: dict[str, int] | None
    after: CheckReport


def check_and_repair(office: Office, actor: Actor, do_repair: bool = False) -> IndexCheck:
    """Compare the index with the database; with ``do_repair`` fix the differences."""
    require(actor, Action.INDEX_REPAIR if do_repair else Action.INDEX_CHECK)
    index = office.search_index()
    with writer_lock(index) if do_repair else nullcontext(True), office.db.transaction() as s:
        report = check_index(s, index)
        fixed = repair(s, index, report) if do_repair and not report.ok else None
        after = check_index(s, index) if fixed is not None else report
        audit(s, actor=actor.audit_name, action="E", event_type="index.repair" if fixed else "index.check",
              outcome="success" if after.ok else "failure",
              detail=json.dumps({k: len(v) if isinstance(v, list) else v for k, v in report.to_dict().items()}))
    return IndexCheck(report, fixed, after)


def optimize_index(office: Office, actor: Actor) -> tuple[int, int]:
    """Merge the index into one segment; returns (segments before, after)."""
    require(actor, Action.INDEX_OPTIMIZE)
    return optimize(office.search_index())
