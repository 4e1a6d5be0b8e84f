"""Search for long-running front ends: one search engine kept open per office, reused by every request.

Owns the engine cache the web workstation and the API search through (opening
the index for every request costs more than the search itself at 100,000
documents).  The search and its audit are :func:`chartfile.service.search.search`.
"""

from __future__ import annotations

import threading

from chartfile.service import search as search_query
from chartfile.service.actor import Actor
from chartfile.service.office import Office
from chartfile.service.permissions import Action, require
from search.engine import Results, SearchEngine

_engines: dict[int, tuple[Office, SearchEngine]] = {}
_lock = threading.Lock()


def _engine(office: Office) -> SearchEngine:
    with _lock:
        entry = _engines.get(id(office))
        if entry is None or entry[0] is not office:
            entry = (office, SearchEngine(office.cfg))
            _engines[id(office)] = entry
        return entry[1]


def search(office: Office, actor: Actor, query: str, page: int = 1, page_size: int = 20,
           sort: str = "auto") -> Results:
    """One page of results through the office's long-lived engine (audited by the search query)."""
    require(actor, Action.SEARCH)
    return search_query.search(office, actor, query, page=page, page_size=page_size, sort=sort,
                               engine=_engine(office))


def warm(office: Office) -> None:
    """Open the office's engine and its index now (a serving process, before its first search)."""
    _engine(office).warm()


def close(office: Office) -> None:
    """Close the office's engine (at shutdown)."""
    with _lock:
        entry = _engines.pop(id(office), None)
    if entry is not None:
        entry[1].close()
