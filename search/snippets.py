"""Snippets with page numbers: where in a document the words searched for appear.

Owns finding the pages of a document that contain query terms (using the
same stemming as the index, so ``studies`` finds ``study``), choosing the
page and the window with the most distinct terms, and returning the snippet
as plain text plus the character spans to emphasise — so a terminal, JSON
or HTML caller can each mark them up safely in its own way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from search.text import content_term_spans, content_terms_found

SNIPPET_CHARS = 200
ELLIPSIS = "…"


@dataclass
class Snippet:
    """A window of one page (1-based within the document) and the spans of matched words in it."""

    page: int | None
    text: str
    spans: list[tuple[int, int]] = field(default_factory=list)
    pages: list[int] = field(default_factory=list)  # every page with a match, 1-based


def _flat(text: str) -> str:
    """One line of text, same length (so spans stay valid)."""
    return text.replace("\r", " ").replace("\n", " ").replace("\f", " ").replace("\t", " ")


def _best_window(spans: list[tuple[str, int, int]], width: int) -> tuple[int, int]:
    """(start, end) of the ``width`` window holding the most distinct terms (earliest on a tie)."""
    best, best_at = -1, 0
    for i, (_, start, _) in enumerate(spans):
        distinct: set[str] = set()
        for term, s, _ in spans[i:]:
            if s >= start + width:
                break
            distinct.add(term)
        if len(distinct) > best:
            best, best_at = len(distinct), i
    start = spans[best_at][1]
    return start, start + width


def _window_text(page: str, start: int, end: int, width: int) -> tuple[int, int]:
    """Widen a window to word boundaries, with some text before the first match."""
    lead = max(0, start - width // 4)
    begin = page.rfind(" ", 0, lead) + 1 if lead > 0 else 0
    stop = min(len(page), max(end, begin + width))
    if stop < len(page):
        cut = page.rfind(" ", begin, stop)
        stop = cut if cut > start else stop
    return begin, stop


def make_snippet(pages: list[str], terms: set[str], width: int = SNIPPET_CHARS) -> Snippet:
    """The best snippet of a document for the given content terms (or its opening text)."""
    matched: list[tuple[int, int]] = []  # (page number, distinct terms on it)
    if terms:
        for number, text in enumerate(pages, start=1):
            found = len(content_terms_found(text, terms))
            if found:
                matched.append((number, found))
    if not matched:
        first = _flat(pages[0] if pages else "").strip()
        cut = first[:width]
        if len(first) > width and " " in cut:
            cut = cut[:cut.rfind(" ")] + ELLIPSIS
        return Snippet(page=1 if first else None, text=cut)
    number = max(matched, key=lambda m: (m[1], -m[0]))[0]
    page = _flat(pages[number - 1])
    spans = content_term_spans(page, terms)
    start, end = _window_text(page, *_best_window(spans, width), width)
    prefix = ELLIPSIS if start > 0 else ""
    suffix = ELLIPSIS if end < len(page.rstrip()) else ""
    shift = len(prefix) - start
    inside = [(s + shift, e + shift) for _, s, e in spans if s >= start and e <= end]
    return Snippet(page=number, text=prefix + page[start:end] + suffix, spans=inside,
                   pages=[n for n, _ in matched])
