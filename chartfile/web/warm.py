"""Readying a serving process before its first request, and keeping its pauses short.

Owns what ``chartfile serve`` does once per web process at start-up: open
the search index (searcher and name vocabulary, otherwise the first search
of each process pays for it), compile every template, then set the
long-lived start-up heap (the app, SQLAlchemy's and Whoosh's structures, the
lexicons) aside from Python's cycle collector (``gc.freeze``) and let it run
less often — a full collection over that heap took ~150 ms at 100,000
documents, a pause every request in flight in the process waited for.
Objects made later are collected as usual; nothing here holds a clerk's data.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from chartfile.service import searching
from chartfile.web.state import WebState
from intake.errors import ChartfileError

log = logging.getLogger(__name__)

# young objects between collections (CPython's default 700 runs one every few dozen rows a page builds)
GC_THRESHOLDS = (20_000, 20, 20)


def warm_up(app: FastAPI) -> None:
    """Open the search engine and compile the templates, then freeze the start-up heap."""
    started = time.perf_counter()
    state: WebState = app.state.chartfile
    try:
        searching.warm(state.office)
    except ChartfileError as exc:  # no index yet, or a damaged one: the first search says so, with the fix
        log.warning("search index not opened at start-up: %s", exc.message)
    env = state.templates.env
    for name in env.list_templates(extensions=["html"]):
        env.get_template(name)
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    log.info("web process ready in %.0f ms (%d objects set aside from the collector)",
             (time.perf_counter() - started) * 1000, gc.get_freeze_count())


@asynccontextmanager
async def serving_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Lifespan of a serving process: warm up (off the event loop), serve, close the search engine."""
    await run_in_threadpool(warm_up, app)
    try:
        yield
    finally:
        state: WebState = app.state.chartfile
        searching.close(state.office)
