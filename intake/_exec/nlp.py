"""The only module that imports spaCy.

It builds the tokenizer-only pipeline (``spacy.blank("en")``, or an installed
model when configured) once per process, lazily, and wraps spaCy's
PhraseMatcher / Matcher in :class:`RuleMatcher`, which returns plain
``(kind, start_char, end_char)`` tuples so callers never touch spaCy types.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import spacy
from spacy.matcher import Matcher, PhraseMatcher
from spacy.util import compile_infix_regex, filter_spans

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hit:
    """A rule match: its kind (rule name) and character span in the text."""

    kind: str
    start: int
    end: int
    text: str


@lru_cache(maxsize=4)
def pipeline(model: str = "") -> Any:
    """The spaCy ``Language`` for ``model`` (blank English when empty), built once."""
    if model:
        try:
            return spacy.load(model, disable=["parser", "ner", "lemmatizer"])
        except OSError:
            log.warning("spaCy model not installed; using blank English")
    nlp = spacy.blank("en")
    nlp.max_length = 5_000_000
    _split_glued_labels(nlp)
    return nlp


# OCR text often glues a label to its value ("DOB:03/04/1957", "MRN#CF123456").
_EXTRA_INFIXES = (r"(?<=[A-Za-z.)\]])[:#](?=\S)", r"(?<=\S)[:](?=\d)")


def _split_glued_labels(nlp: Any) -> None:
    infixes = list(nlp.Defaults.infixes) + list(_EXTRA_INFIXES)
    nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer


class RuleMatcher:
    """Phrase rules (case-insensitive) and token-pattern rules over one tokenizer.

    ``phrases`` maps a kind to the phrases that signal it; ``patterns`` maps a
    kind to spaCy Matcher token patterns.  Overlapping hits keep the longest.
    """

    def __init__(self, phrases: Mapping[str, Sequence[str]],
                 patterns: Mapping[str, Sequence[list[dict[str, Any]]]] | None = None,
                 model: str = "") -> None:
        self._nlp = pipeline(model)
        self._phrases = PhraseMatcher(self._nlp.vocab, attr="LOWER")
        for kind, items in phrases.items():
            self._phrases.add(kind, [d for p in items for d in self._variants(p)])
        self._tokens: Any = None
        if patterns:
            self._tokens = Matcher(self._nlp.vocab)
            for kind, pats in patterns.items():
                self._tokens.add(kind, list(pats))

    def _variants(self, phrase: str) -> list[Any]:
        """The phrase tokenized alone, before a colon and before a word (contexts differ)."""
        docs = []
        for form in {phrase, phrase.lower(), phrase.upper(), phrase.title()}:
            n = len(self._nlp.make_doc(form))
            docs.append(self._nlp.make_doc(form))
            for tail in (":", " x", ": x"):
                full = self._nlp.make_doc(form + tail)
                cut = len(full) - len(self._nlp.make_doc(tail.strip()))
                if 0 < cut and abs(cut - n) <= 1:
                    docs.append(full[:cut].as_doc())
        unique: dict[tuple[str, ...], Any] = {}
        for d in docs:
            unique.setdefault(tuple(t.lower_ for t in d), d)
        return list(unique.values())

    def tokenize(self, text: str) -> Any:
        return self._nlp.make_doc(text)

    def find(self, text: str, *, longest: bool = True) -> list[Hit]:
        """Phrase and pattern hits in ``text``, sorted by position."""
        doc = self._nlp.make_doc(text)
        spans = []
        found = list(self._phrases(doc)) + (list(self._tokens(doc)) if self._tokens else [])
        for match_id, start, end in found:
            span = doc[start:end]
            span.label_ = self._nlp.vocab.strings[match_id]
            spans.append(span)
        if longest:
            spans = filter_spans(spans)
        hits = [Hit(s.label_, s.start_char, s.end_char, s.text) for s in spans]
        return sorted(hits, key=lambda h: h.start)
