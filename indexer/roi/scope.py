"""Pure checks that an authorization covers a release: recipient, document types, dates.

Owns the comparison rules (names compared after normalising case,
punctuation and common abbreviations; an authorization covers a document
when its type is listed — or the authorization covers the entire record —
and its date falls in the authorized range).  Each check returns the
clerk-readable reasons for refusing; an empty list means covered.
No database access here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

ALL_TYPES = "all"  # the authorization covers the entire record

_ABBREVIATIONS = {
    "street": "st", "avenue": "ave", "road": "rd", "suite": "ste", "boulevard": "blvd",
    "drive": "dr", "lane": "ln", "north": "n", "south": "s", "east": "e", "west": "w",
    "and": "&", "the": "",
}
_ENTITY_SUFFIXES = {"inc", "llc", "pllc", "pc", "pa", "ltd", "corp", "co", "llp", "lp", "incorporated", "company"}


@dataclass(frozen=True)
class DocFacts:
    """What scope checks need of one document to be released."""

    id: int
    doc_type: str
    doc_date: date | None


@dataclass(frozen=True)
class Scope:
    """What an authorization (or a request) covers."""

    doc_types: tuple[str, ...]  # empty = no restriction by type
    info_from: date | None
    info_to: date | None
    description: str | None = None

    @property
    def all_types(self) -> bool:
        return ALL_TYPES in self.doc_types

    @property
    def machine_checkable(self) -> bool:
        return bool(self.doc_types) or self.info_from is not None or self.info_to is not None


def normalize_party(text: str | None) -> str:
    """Lower-case words without punctuation; abbreviations unified, a trailing "Inc"/"P.C." dropped."""
    words = re.findall(r"[a-z0-9&]+", (text or "").lower().replace(".", ""))
    words = [w for w in (_ABBREVIATIONS.get(w, w) for w in words) if w]
    while len(words) > 1 and words[-1] in _ENTITY_SUFFIXES:
        words.pop()
    return " ".join(words)


def recipient_problems(auth_name: str | None, auth_address: str | None,
                       name: str, address: str | None) -> list[str]:
    """Reasons the release recipient is not the one the authorization names."""
    if normalize_party(auth_name) != normalize_party(name):
        return [f"recipient '{name}' is not the recipient the authorization names ('{auth_name or ''}')"]
    if auth_address and address and normalize_party(auth_address) != normalize_party(address):
        return [f"recipient address '{address}' differs from the authorized address '{auth_address}'"]
    return []


def _in_range(d: date, start: date | None, end: date | None) -> bool:
    return (start is None or d >= start) and (end is None or d <= end)


def _range_text(start: date | None, end: date | None) -> str:
    return f"{start.isoformat() if start else 'any date'} to {end.isoformat() if end else 'present'}"


def document_problems(scope: Scope, docs: Iterable[DocFacts]) -> list[str]:
    """Reasons the documents fall outside what ``scope`` authorizes."""
    if not scope.machine_checkable:
        return ["the authorization describes the information only in words; record its document "
                "types or date range (authorization confirm) before releasing"]
    problems: list[str] = []
    dated = scope.info_from is not None or scope.info_to is not None
    for doc in docs:
        if scope.doc_types and not scope.all_types and doc.doc_type not in scope.doc_types:
            problems.append(f"document #{doc.id} is of type {doc.doc_type}, not covered by the authorization "
                            f"({', '.join(scope.doc_types)})")
        if dated and doc.doc_date is None:
            problems.append(f"document #{doc.id} has no date, so it cannot be shown to fall in the "
                            f"authorized range {_range_text(scope.info_from, scope.info_to)}")
        elif dated and doc.doc_date is not None and not _in_range(doc.doc_date, scope.info_from, scope.info_to):
            problems.append(f"document #{doc.id} dated {doc.doc_date.isoformat()} is outside the authorized "
                            f"range {_range_text(scope.info_from, scope.info_to)}")
    return problems


def request_problems(scope: Scope, requested: Scope) -> list[str]:
    """Reasons a request asks for more (types or dates) than ``scope`` authorizes.

    Only what the request states is compared; the documents actually released
    are always checked by :func:`document_problems`.
    """
    problems: list[str] = []
    wanted = set(requested.doc_types)
    if scope.doc_types and not scope.all_types and wanted:
        if ALL_TYPES in wanted:
            problems.append("the request asks for the entire record but the authorization covers only "
                            f"{', '.join(scope.doc_types)}")
        elif extra := sorted(wanted - set(scope.doc_types)):
            problems.append(f"the request asks for {', '.join(extra)}, not covered by the authorization")
    if scope.info_from and requested.info_from and requested.info_from < scope.info_from:
        problems.append(f"the request reaches back to {requested.info_from.isoformat()}, before the "
                        f"authorized start {scope.info_from.isoformat()}")
    if scope.info_to and requested.info_to and requested.info_to > scope.info_to:
        problems.append(f"the request reaches to {requested.info_to.isoformat()}, past the authorized "
                        f"end {scope.info_to.isoformat()}")
    return problems


def describe(docs: Sequence[DocFacts], page_count: int) -> str:
    """Brief description of what was disclosed (for the accounting): types, dates, pages."""
    types = sorted({d.doc_type.replace("_", " ") for d in docs})
    dates = sorted(d.doc_date for d in docs if d.doc_date)
    span = ""
    if dates:
        span = f", dated {dates[0].isoformat()}" + (f" to {dates[-1].isoformat()}" if dates[-1] != dates[0] else "")
    return f"{plural(len(docs), 'document')} ({', '.join(types)}){span}, {plural(page_count, 'page')}"


def plural(n: int, noun: str) -> str:
    """``1 page``, ``2 pages``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


_TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "jr", "sr", "ii", "iii", "iv"})


def _name_words(text: str | None) -> list[str]:
    return re.findall(r"[a-z0-9]+", (text or "").lower().replace("'", ""))


def names_person(text: str | None, given: str, family: str, middle: str | None = None) -> bool:
    """Whether ``text`` names this person: given and family name, nothing else but a middle name or title.

    "Pat Testperson", "Testperson, Pat Q." and "Mr. Pat Quinn Testperson" name
    Pat Quinn Testperson; "Pat" alone, "Pat Testperson Smith" or "Evil Corp"
    do not.
    """
    words = set(_name_words(text))
    needed = set(_name_words(given)) | set(_name_words(family))
    middle_words = _name_words(middle)
    allowed = needed | set(middle_words) | {w[0] for w in middle_words} | _TITLES
    return bool(needed) and needed <= words and words <= allowed
