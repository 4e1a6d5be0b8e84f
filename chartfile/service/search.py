"""The ``search`` query: run a clerk's query and audit it before the results are shown."""

from __future__ import annotations

from chartfile.service.actor import Actor
from chartfile.service.office import Office
from chartfile.service.permissions import Action, require
from search.engine import SORTS, Hit, Results, SearchEngine, record_search

__all__ = ["SORTS", "Hit", "Results", "search"]


def search(office: Office, actor: Actor, query: str, page: int = 1, page_size: int = 20,
           sort: str = "auto", engine: SearchEngine | None = None, include_rejected: bool = False) -> Results:
    """One page of results; the search (query, count, documents listed) is audited before returning.

    Documents in review are found by the names, DOBs and MRNs read from them.  Rejected documents are
    left out; ``include_rejected`` (administrators only) shows them too.
    """
    require(actor, Action.SEARCH)
    if include_rejected:
        require(actor, Action.SEARCH_REJECTED)
    own = engine is None
    eng = engine or SearchEngine(office.cfg)
    try:
        results = eng.search(query, page=page, page_size=page_size, sort=sort, include_rejected=include_rejected)
    finally:
        if own:
            eng.close()
    with office.db.transaction() as s:
        record_search(s, actor.audit_name, results)
    return results
