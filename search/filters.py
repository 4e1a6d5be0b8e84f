"""Which documents a query matches, computed as cached sets of documents.

Owns the fast path for counting and filtering: a query made of terms,
prefixes, ANDs and ORs (the records clerk's ``type:lab date:"last month"``,
but also free words, two-word phrases and expanded names) is turned into a
:class:`FilterPlan`.  Each term's documents are read once per segment (whole
posting blocks at a time) and kept in a bounded LRU cache; evaluating a plan
is then set unions and intersections.  Whoosh's per-document matcher loop —
the bottleneck at tens of thousands of matches — is used only for ranking
the first page.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Union

from whoosh import query as wq
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import IndexReader, TermNotFound

from search.store import leaves

MAX_CACHED_DOCNUMS = 2_000_000  # across all cached term sets (roughly 80 MB)
MAX_CACHED_LEXICONS = 2000
PRELOAD_TERMS = 200  # per segment and field, at most
MAX_CACHED_COLUMNS = 200  # (segment, column field) lists of every document's value
COLUMN_KEY = "column"


@dataclass(frozen=True)
class Terms:
    """Documents having any of ``terms`` (or any term starting with one of ``prefixes``) in ``field``."""

    field: str
    terms: tuple[Any, ...] = ()
    prefixes: tuple[str, ...] = ()


@dataclass(frozen=True)
class AllOf:
    parts: tuple[FilterNode, ...]


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[FilterNode, ...]


FilterNode = Union[Terms, AllOf, AnyOf]  # noqa: UP007 - a runtime alias used in annotations above


@dataclass(frozen=True)
class FilterPlan:
    """A query made only of filters: documents in every positive node and in no negative one."""

    positive: tuple[FilterNode, ...]
    negative: tuple[FilterNode, ...] = ()


def node_of(q: wq.Query) -> FilterNode | None:
    """The same set of documents as a Whoosh query made of terms, prefixes, ANDs and ORs (else None).

    Scores and boosts do not matter for a set; phrases and edit-distance terms
    cannot be expressed and give None.
    """
    if isinstance(q, wq.Prefix):  # (a Term subclass)
        return Terms(q.fieldname, prefixes=(q.text,))
    if isinstance(q, wq.Term) and type(q) is wq.Term:
        return Terms(q.fieldname, (q.text,))
    if isinstance(q, wq.Or) and not getattr(q, "minmatch", 0):
        return _merged([node_of(c) for c in q.subqueries], AnyOf)
    if isinstance(q, wq.And):
        return _merged([node_of(c) for c in q.subqueries], AllOf)
    if q is wq.NullQuery:
        return AnyOf(())
    return None


def _merged(parts: list[FilterNode | None], kind: type[AllOf] | type[AnyOf]) -> FilterNode | None:
    """Combine child nodes; under an OR, terms of the same field become one :class:`Terms`."""
    if any(p is None for p in parts):
        return None
    nodes = [p for p in parts if p is not None]
    if kind is AnyOf:
        by_field: dict[str, Terms] = {}
        rest: list[FilterNode] = []
        for n in nodes:
            if isinstance(n, Terms):
                old = by_field.get(n.field, Terms(n.field))
                by_field[n.field] = Terms(n.field, old.terms + n.terms, old.prefixes + n.prefixes)
            else:
                rest.append(n)
        nodes = [*by_field.values(), *rest]
    return nodes[0] if len(nodes) == 1 else kind(tuple(nodes))


def plan_of(positive: list[wq.Query], negative: list[wq.Query]) -> FilterPlan | None:
    """A plan with the same matches as AND(positive) minus OR(negative), if every part converts."""
    pos = [node_of(q) for q in positive]
    neg = [node_of(q) for q in negative]
    if any(n is None for n in pos + neg):
        return None
    return FilterPlan(tuple(n for n in pos if n is not None), tuple(n for n in neg if n is not None))


def _block_ids(matcher: Any) -> list[int]:
    """All document ids of a fresh posting matcher, a whole block at a time when possible."""
    if not all(hasattr(matcher, a) for a in ("_read_ids", "_next_block", "_ids")):
        return list(matcher.all_ids())  # another codec: the generic (slower) way
    out: list[int] = []
    while matcher.is_active():
        if matcher._ids is None:
            matcher._read_ids()
        out.extend(matcher._ids[matcher._i:])
        matcher._next_block()
    return out


@dataclass
class Part:
    """The matching documents of one segment (segment-local document numbers)."""

    leaf: Any
    base: int  # global number of the segment's first document
    docs: frozenset[int]


class Matches:
    """Every matching document, kept per segment as sets (cheap to count, intersect and facet)."""

    def __init__(self, parts: list[Part]) -> None:
        self.parts = parts

    def __len__(self) -> int:
        return sum(len(p.docs) for p in self.parts)

    def ids(self) -> list[int]:
        """Global document numbers, ascending."""
        return [p.base + d for p in self.parts for d in sorted(p.docs)]

    def split(self, other: Matches) -> tuple[Matches, Matches]:
        """(these documents that are also in ``other``, the rest); both from the same reader."""
        inside = [Part(p.leaf, p.base, p.docs & o.docs) for p, o in zip(self.parts, other.parts, strict=True)]
        outside = [Part(p.leaf, p.base, p.docs - o.docs) for p, o in zip(self.parts, other.parts, strict=True)]
        return Matches(inside), Matches(outside)

    @classmethod
    def of(cls, reader: IndexReader, docnums: Iterable[int]) -> Matches:
        """Group global document numbers (from a Whoosh search) by segment."""
        segs = leaves(reader)
        bases = [base for _, base in segs]
        local: list[set[int]] = [set() for _ in segs]
        for d in docnums:
            i = bisect.bisect_right(bases, d) - 1
            local[i].add(d - bases[i])
        return cls([Part(leaf, base, frozenset(ids)) for (leaf, base), ids in zip(segs, local, strict=True)])


class DocSetCache:
    """Per-segment document sets of single terms (least recently used evicted first) and term lists."""

    def __init__(self, budget: int = MAX_CACHED_DOCNUMS) -> None:
        self.budget = budget
        self._sets: OrderedDict[tuple[Any, ...], frozenset[int]] = OrderedDict()
        self._size = 0
        self._lexicons: dict[tuple[str, str, str], list[str]] = {}
        self._columns: dict[tuple[str, str, str], list[Any]] = {}

    def term_docs(self, leaf: Any, field: str, term: Any) -> frozenset[int]:
        segment = leaf.segment()
        key = (segment.segment_id(), segment.deleted_count(), field, term)
        found = self._sets.get(key)
        if found is not None:
            self._sets.move_to_end(key)
            return found
        try:
            matcher = leaf.postings(field, term)
        except TermNotFound:
            found = frozenset()
        else:
            deleted: set[int] = set()
            if isinstance(matcher, FilterMatcher):
                deleted = set(leaf.deleted_docs_set)
                matcher = matcher.child
            found = frozenset(_block_ids(matcher)) - deleted
        self._store(key, found)
        return found

    def _store(self, key: tuple[Any, ...], docs: frozenset[int]) -> None:
        self._sets[key] = docs
        self._size += len(docs)
        while self._size > self.budget and len(self._sets) > 1:
            _, old = self._sets.popitem(last=False)
            self._size -= len(old)

    def lexicon(self, leaf: Any, field: str, prefix: str = "") -> list[str]:
        """The terms of ``field`` in one segment (starting with ``prefix``), read once per segment."""
        key = (str(leaf.segment().segment_id()), field, prefix)
        found = self._lexicons.get(key)
        if found is None:
            if len(self._lexicons) > MAX_CACHED_LEXICONS:
                self._lexicons.clear()
            terms = leaf.expand_prefix(field, prefix) if prefix else leaf.lexicon(field)
            found = [_text(t) for t in terms]
            self._lexicons[key] = found
        return found

    def preload(self, reader: IndexReader, field: str, budget: int) -> int:
        """Read the document sets of ``field``'s most frequent terms now, ``budget`` document numbers at most.

        The commonest words are the dearest to read (tens of thousands of
        postings each) and the likeliest to be searched; read at start-up,
        the first clerk to search them does not wait for it.  Returns how many
        document numbers were read.
        """
        loaded = 0
        for leaf, _ in leaves(reader):
            for freq, term in leaf.most_frequent_terms(field, number=PRELOAD_TERMS):
                if loaded + freq > budget:
                    return loaded
                loaded += len(self.term_docs(leaf, field, term))
        return loaded

    def column(self, leaf: Any, field: str) -> list[Any]:
        """Every document's value of a column field in one segment (indexed by document number), read once."""
        key = (str(leaf.segment().segment_id()), field, COLUMN_KEY)
        found = self._columns.get(key)
        if found is None:
            if len(self._columns) > MAX_CACHED_COLUMNS:
                self._columns.clear()
            found = list(leaf.column_reader(field, translate=False))
            self._columns[key] = found
        return found

    def _node(self, leaf: Any, node: FilterNode) -> frozenset[int]:
        if isinstance(node, Terms):
            terms: list[Any] = list(node.terms)
            for prefix in node.prefixes:
                terms.extend(self.lexicon(leaf, node.field, prefix))
            return frozenset().union(*(self.term_docs(leaf, node.field, t) for t in terms))
        parts = [self._node(leaf, p) for p in node.parts]
        if not parts:
            return frozenset()
        if isinstance(node, AllOf):
            return frozenset.intersection(*sorted(parts, key=len))
        return frozenset().union(*parts)

    def evaluate(self, reader: IndexReader, plan: FilterPlan) -> Matches:
        """The documents matching the plan, per segment."""
        parts = []
        for leaf, base in leaves(reader):
            if plan.positive:
                docs = frozenset.intersection(*sorted((self._node(leaf, n) for n in plan.positive), key=len))
            else:
                docs = frozenset(leaf.all_doc_ids())
            for node in plan.negative:
                if docs:
                    docs = docs - self._node(leaf, node)
            parts.append(Part(leaf, base, docs))
        return Matches(parts)


def _text(value: Any) -> Any:
    return value.decode("utf-8") if isinstance(value, bytes) else value
