"""The search façade: what callers (CLI now, web later) use to find documents.

Owns running a clerk query (parsed by :mod:`search.query`) read-only against
the index, ordering (relevance or date), pagination, facets (counts per
document type and sender), and shaping results with snippets and page
numbers (:mod:`search.snippets`).  Callers never import Whoosh, so the engine
behind this module can be swapped.  Logs carry clause kinds, counts and
timings — never query text, names or dates.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session
from whoosh.collectors import TopCollector
from whoosh.scoring import TF_IDF
from whoosh.searching import Searcher

from indexer.audit import record as audit
from intake.config import Config
from intake.errors import InputError
from search.columns import facet_counts, ordered, segment_ids, vocabulary
from search.filters import MAX_CACHED_DOCNUMS, DocSetCache, FilterPlan, Matches, Terms
from search.names import NameVocabulary
from search.query import ParsedQuery, parse_query
from search.schema import decode_body
from search.snippets import make_snippet
from search.store import SearchIndex, guarded

log = logging.getLogger(__name__)

SORTS = {"auto": "auto", "relevance": "relevance", "newest": "newest", "date": "newest", "oldest": "oldest"}
MAX_PAGE_SIZE = 500
MAX_DEPTH = 10_000  # page * page_size: deeper paging means the search should be narrowed
TOP_SENDERS = 10
MAX_FALLBACK_WORDS = 4
PRELOAD_DOCNUMS = MAX_CACHED_DOCNUMS // 2  # document numbers of common words read by warm()
FULL_COUNT_LIMIT = 20_000  # relevance searches expected to match more are not counted exactly
RANK_LIMIT = 5_000  # several free words matching more documents: ranked by closeness and date, not scores


@dataclass
class Hit:
    """One matching document, with where the match is."""

    doc_id: int
    score: float
    patient_name: str
    patient_mrn: str
    doc_type: str
    doc_date: str | None
    sender: str
    status: str
    source: str
    snippet: str = ""
    page: int | None = None  # page of the document (1-based) the snippet comes from
    dob: str = ""
    read_names: list[str] = field(default_factory=list)  # names read from a document not filed ("in review")
    provider: str = ""
    received: str = ""
    urgent: bool = False
    pages: int = 1  # pages in the document
    source_page: int | None = None  # the same page counted in the received file
    matched_pages: list[int] = field(default_factory=list)  # every page with a match (1-based)
    highlights: list[tuple[int, int]] = field(default_factory=list)  # spans of matched words in snippet

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["highlights"] = [list(span) for span in self.highlights]
        return out


@dataclass
class Results:
    """A page of hits with the total count, facets and notes for the user."""

    query: str
    total: int
    hits: list[Hit] = field(default_factory=list)
    page: int = 1
    page_size: int = 20
    sort: str = "relevance"
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    elapsed_ms: float = 0.0
    total_exact: bool = True  # False: a very common word; total is Whoosh's estimate

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "total": self.total, "total_exact": self.total_exact,
                "page": self.page, "page_size": self.page_size,
                "pages": self.pages, "sort": self.sort, "notes": self.notes,
                "facets": {k: [{"value": v, "count": n} for v, n in rows] for k, rows in self.facets.items()},
                "elapsed_ms": round(self.elapsed_ms, 1), "hits": [h.to_dict() for h in self.hits]}


def _check_paging(page: int, page_size: int) -> None:
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InputError(f"Page must be 1 or more and page size 1..{MAX_PAGE_SIZE}.")
    if page * page_size > MAX_DEPTH:
        raise InputError(f"Results beyond the first {MAX_DEPTH} are not shown.",
                         hint="Narrow the search, e.g. with type:, from: or date:.")


def _facet_rows(groups: Mapping[str, int], top: int | None) -> list[tuple[str, int]]:
    rows = sorted(((str(k or ""), int(n)) for k, n in groups.items()), key=lambda r: (-r[1], r[0]))
    return rows[:top] if top else rows


class _AllAndTop(TopCollector):
    """One pass over the matches: the top N by score, and every matching document (for totals, facets)."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit=limit, usequality=False)
        self.docs: list[int] = []

    def _collect(self, global_docnum: int, score: float) -> Any:
        self.docs.append(global_docnum)
        return super()._collect(global_docnum, score)


class SearchEngine:
    """Read-only searches over the index (safe to keep for many searches; refreshes itself)."""

    def __init__(self, cfg: Config, today: Callable[[], date] | None = None) -> None:
        self.cfg = cfg
        self.index = SearchIndex(cfg)
        self._today = today or date.today
        self._searcher: Searcher | None = None
        self._dir_id: tuple[int, int] | None = None
        self._lock = threading.Lock()
        self._sets = DocSetCache()
        self._names: tuple[tuple[str, ...], NameVocabulary] | None = None

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None
            self.index.close()

    def warm(self) -> None:
        """Open the searcher and the name vocabulary, and read the commonest words' documents, now.

        (Rather than at the first searches; for a long-running server.)
        """
        with self._lock, guarded("search"):
            searcher = self._current_searcher()
            self._vocabulary(searcher)
            self._sets.preload(searcher.reader(), "content", PRELOAD_DOCNUMS)

    def parse(self, query: str, include_rejected: bool = False) -> ParsedQuery:
        """Parse without searching (raises InputError on malformed queries)."""
        return parse_query(query, self.cfg.extract.mrn_pattern, self._today(), include_rejected=include_rejected)

    def search(self, query: str, page: int = 1, page_size: int = 20, sort: str = "auto",
               facets: bool = True, include_rejected: bool = False) -> Results:
        """Run a clerk query and return one page of results.

        ``sort``: ``auto`` (relevance when the query has words or names, else
        newest first), ``relevance``, ``newest`` (alias ``date``) or ``oldest``.
        Rejected documents are left out unless ``include_rejected``.
        """
        started = time.perf_counter()
        if sort not in SORTS:
            raise InputError(f"Unknown sort {sort!r}.", hint="Use relevance, newest or oldest.")
        _check_paging(page, page_size)
        with self._lock:
            parsed, results = self._run(query, page, page_size, SORTS[sort], facets, include_rejected)
            if results.total == 0 and self._name_fallback(parsed):
                words = " ".join(parsed.bare_words)
                _, retry = self._run(f'patient:"{words}"', page, page_size, SORTS[sort], facets, include_rejected)
                if retry.total:
                    retry.notes.append(f"No document contains '{words}'; showing patients with a similar name.")
                    results = retry
        results.query = " ".join(query.split())
        results.notes[:0] = parsed.notes
        results.elapsed_ms = (time.perf_counter() - started) * 1000
        log.debug("search kinds=%s total=%d ms=%.1f", ",".join(parsed.kinds), results.total, results.elapsed_ms)
        return results

    @staticmethod
    def _name_fallback(parsed: ParsedQuery) -> bool:
        words = parsed.bare_words
        return (0 < len(words) <= MAX_FALLBACK_WORDS and len(words) == len(parsed.kinds)
                and all(w.replace("-", "").replace("'", "").isalpha() for w in words))

    def _current_searcher(self) -> Searcher:
        """A searcher on the newest committed index (reopened after a rebuild swapped the folder)."""
        try:
            st = os.stat(self.index.dir)
            dir_id: tuple[int, int] | None = (st.st_ino, st.st_dev)
        except OSError:
            dir_id = None
        if self._searcher is not None and dir_id == self._dir_id and self._searcher.doc_count_all():
            self._searcher = self._searcher.refresh()  # (Whoosh cannot refresh a searcher of an empty index)
            return self._searcher
        if self._searcher is not None:
            self._searcher.close()
        self.index.close()
        self._searcher = self.index.open(create=False).searcher(weighting=TF_IDF())
        self._dir_id = dir_id
        return self._searcher

    def _vocabulary(self, searcher: Searcher) -> NameVocabulary:
        """Distinct indexed name words (rebuilt only when segments change)."""
        key = segment_ids(searcher.reader())
        if self._names is None or self._names[0] != key:
            self._names = (key, NameVocabulary(vocabulary(self._sets, searcher.reader(), "name")))
        return self._names[1]

    def _run(self, query: str, page: int, page_size: int, sort: str, facets: bool,
             include_rejected: bool = False) -> tuple[ParsedQuery, Results]:
        start, stop = (page - 1) * page_size, page * page_size
        with guarded("search"):
            searcher = self._current_searcher()
            names = self._vocabulary(searcher)
        parsed = parse_query(query, self.cfg.extract.mrn_pattern, self._today(), names, include_rejected)
        if sort == "auto" or (sort == "relevance" and not parsed.scored):
            sort = "relevance" if parsed.scored else "newest"
        with guarded("search"):
            top, matches, total = self._matches(searcher, parsed, sort, stop)
            return parsed, self._page(searcher, parsed, top[start:], matches, total, page, page_size, sort, facets)

    def _matches(self, searcher: Searcher, parsed: ParsedQuery, sort: str,
                 stop: int) -> tuple[list[tuple[int, float]], Matches | None, int]:
        """(the first ``stop`` documents with scores, every match or None if only estimated, total)."""
        reader = searcher.reader()
        if parsed.plan is not None:  # the matches as cached sets; Whoosh only ranks the first page
            matches = self._sets.evaluate(reader, parsed.plan)
            if sort == "relevance" and parsed.word_pairs and len(matches) > RANK_LIMIT:
                return self._side_by_side_first(reader, parsed, matches, stop), matches, len(matches)
            if sort == "relevance":
                res = searcher.search(parsed.query, limit=stop)  # top N: Whoosh skips low-scoring blocks
                return [(d, float(score)) for score, d in res.top_n], matches, len(matches)
        elif sort != "relevance":
            matches = Matches.of(reader, searcher.docs_for_query(parsed.query))
        elif parsed.query.estimate_size(reader) > FULL_COUNT_LIMIT:
            # very common words in a long phrase: the best matches only, count estimated
            res = searcher.search(parsed.query, limit=stop)
            return [(d, float(score)) for score, d in res.top_n], None, res.estimated_length()
        else:
            collector = _AllAndTop(limit=stop)
            searcher.search_with_collector(parsed.query, collector)
            top = [(d, float(score)) for score, d in collector.results().top_n]
            return top, Matches.of(reader, collector.docs), len(collector.docs)
        docs = ordered(self._sets, matches, stop, newest=sort == "newest")
        return [(d, 0.0) for d in docs], matches, len(matches)

    def _side_by_side_first(self, reader: Any, parsed: ParsedQuery, matches: Matches,
                            stop: int) -> list[tuple[int, float]]:
        """Relevance for several common words in very many documents, without scoring them all.

        Documents with the words side by side, in the order typed, come first;
        then the others; newest first within each group.  (Scoring tens of
        thousands of documents word by word takes Whoosh longer than a clerk
        should wait, and ranks them hardly better.)
        """
        together = self._sets.evaluate(reader, FilterPlan(tuple(Terms("content_pairs", (p,))
                                                                for p in parsed.word_pairs)))
        close, rest = matches.split(together)
        first = ordered(self._sets, close, stop)
        later = ordered(self._sets, rest, stop - len(first)) if len(first) < stop else []
        return [(d, 2.0) for d in first] + [(d, 1.0) for d in later]

    def _page(self, searcher: Searcher, parsed: ParsedQuery, top: list[tuple[int, float]],
              matches: Matches | None, total: int, page: int, page_size: int, sort: str,
              facets: bool) -> Results:
        """Results for the documents on this page; facets over every match when they are known."""
        hits = [self._hit(searcher.stored_fields(d), score, parsed) for d, score in top]
        results = Results(query="", total=total, hits=hits, page=page, page_size=page_size, sort=sort,
                          total_exact=matches is not None)
        if matches is None:
            results.notes.append(f"About {total:,} documents match; the best matches are shown. Counts by "
                                 "type and sender appear for narrower searches (add type:, from: or date:).")
        elif facets:
            results.facets = {"type": _facet_rows(facet_counts(self._sets, matches, "doc_type"), None),
                              "sender": _facet_rows(facet_counts(self._sets, matches, "sender_facet"),
                                                    TOP_SENDERS)}
        return results

    @staticmethod
    def _hit(stored: dict[str, Any], score: float, parsed: ParsedQuery) -> Hit:
        snip = make_snippet(decode_body(stored.get("body")), parsed.content_terms)
        first = int(stored.get("first_page") or 1)
        received = stored.get("received")
        return Hit(
            doc_id=int(stored["doc_id"]), score=round(score, 4),
            patient_name=stored.get("patient_name", ""), patient_mrn=stored.get("patient_mrn", ""),
            doc_type=stored.get("doc_type", ""), doc_date=stored.get("doc_date"),
            sender=stored.get("sender", ""), status=stored.get("status", ""), source=stored.get("source", ""),
            snippet=snip.text, page=snip.page, dob=stored.get("dob", ""),
            read_names=list(stored.get("read_names") or []), provider=stored.get("provider", ""),
            received=received.isoformat(timespec="minutes") if received else "",
            urgent=bool(stored.get("urgent")), pages=int(stored.get("pages") or 1),
            source_page=first + snip.page - 1 if snip.page else None,
            matched_pages=snip.pages, highlights=snip.spans,
        )


def record_search(session: Session, actor: str, results: Results, client: str | None = None) -> None:
    """Append the audit event of a search (who, the query, how many results, which documents shown)."""
    audit(session, actor=actor, action="E", event_type="search", document_ids=[h.doc_id for h in results.hits],
          detail=json.dumps({"query": results.query[:200], "results": results.total}),
          client=client)
