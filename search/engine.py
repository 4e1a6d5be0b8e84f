"""The search façade: what callers (CLI, web) use to find documents.

Owns query parsing of the clerk syntax (free text, ``patient:``, ``mrn:``,
``dob:``, ``type:``, ``from:``, ``date:``), running it against the Whoosh
index read-only, and shaping results (snippets with page numbers).  Callers
never import Whoosh; the engine behind this module can be swapped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from whoosh import index as windex
from whoosh.highlight import ContextFragmenter, UppercaseFormatter
from whoosh.qparser import MultifieldParser, OrGroup
from whoosh.qparser.dateparse import DateParserPlugin

from indexer.searchindex import PAGE_BREAK, SearchIndex
from intake.config import Config
from intake.errors import InputError

MAX_QUERY_CHARS = 500
FIELD_ALIASES = {
    "patient": "patient_name",
    "name": "patient_name",
    "mrn": "patient_mrn",
    "type": "doc_type",
    "from": "sender",
    "sender": "sender",
    "date": "doc_date",
    "received": "received",
    "status": "status",
    "dob": "dob",
    "provider": "provider",
}


@dataclass
class Hit:
    """One matching document."""

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
    page: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Results:
    """A page of hits with the total count."""

    query: str
    total: int
    hits: list[Hit] = field(default_factory=list)
    page: int = 1
    page_size: int = 20

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "total": self.total, "page": self.page,
                "page_size": self.page_size, "hits": [h.to_dict() for h in self.hits]}


def _rewrite(query: str) -> str:
    """Map clerk field names to index fields (``patient:`` → ``patient_name:``)."""
    def repl(m: re.Match[str]) -> str:
        return FIELD_ALIASES.get(m.group(1).lower(), m.group(1)) + ":"

    return re.sub(r"\b([A-Za-z]+):", repl, query)


def _page_of(content: str, terms: set[str]) -> tuple[int | None, str]:
    """First page (1-based within the document) containing a query term, and that page's text."""
    pages = content.split(PAGE_BREAK)
    for i, text in enumerate(pages, start=1):
        low = text.lower()
        if any(t in low for t in terms):
            return i, text
    return (1, pages[0]) if pages else (None, "")


class SearchEngine:
    """Read-only searches over the index."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.index = SearchIndex(cfg)

    def _open(self) -> windex.Index:
        if not self.index.exists():
            raise InputError("The search index does not exist yet.", hint="Run 'chartfile index rebuild'.")
        return windex.open_dir(str(self.index.dir))

    def search(self, query: str, page: int = 1, page_size: int = 20) -> Results:
        """Run a clerk query and return one page of results, best first."""
        text = (query or "").strip()[:MAX_QUERY_CHARS]
        if not text:
            raise InputError("Type something to search for.")
        ix = self._open()
        parser = MultifieldParser(["content", "patient_name", "sender"], ix.schema, group=OrGroup.factory(0.9))
        parser.add_plugin(DateParserPlugin())
        try:
            q = parser.parse(_rewrite(text))
        except Exception as exc:  # noqa: BLE001 - whoosh raises assorted errors on odd syntax
            raise InputError(f"Could not understand the search: {exc}") from exc
        with ix.searcher() as searcher:
            res = searcher.search_page(q, page, pagelen=page_size)
            res.results.fragmenter = ContextFragmenter(maxchars=200, surround=40)
            res.results.formatter = UppercaseFormatter()
            terms = {t.decode() if isinstance(t, bytes) else str(t) for f, t in q.all_terms() if f == "content"}
            hits = []
            for r in res:
                content = r.get("content", "")
                pno, ptext = _page_of(content, {t.lower() for t in terms})
                snippet = r.highlights("content", text=ptext) if terms else ""
                first = int(r.get("first_page", 1) or 1)
                dd = r.get("doc_date")
                hits.append(Hit(
                    doc_id=int(r["doc_id"]), score=float(r.score or 0.0),
                    patient_name=r.get("patient_name", ""), patient_mrn=r.get("patient_mrn", ""),
                    doc_type=r.get("doc_type", ""), doc_date=dd.date().isoformat() if dd else None,
                    sender=r.get("sender", ""), status=r.get("status", ""), source=r.get("source", ""),
                    snippet=snippet or ptext[:160].replace("\n", " "),
                    page=(first + pno - 1) if pno else None,
                ))
            return Results(query=text, total=len(res), hits=hits, page=page, page_size=page_size)
