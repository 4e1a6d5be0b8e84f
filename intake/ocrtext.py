"""Tidy tesseract's text of a page: stray marks glued to the edges of words.

Specks, table borders and underlines next to a word come out of tesseract as
curly quotes, bars, brackets or underscores stuck to it (``‘Patient``, ``|Value``,
``__Name``, ``Flag|``), and the word is then not found by search or extraction.
Such a mark is dropped when nothing on the line balances it (an opening quote or
bracket with no closing one after it on the line, a closing one with no opener
before it; bars and underscores never belong to the start or end of a word).
Pure functions on text; only OCR text goes through here, never a text layer.
"""

from __future__ import annotations

import re

_LEAD = re.compile(r"^[‘“\[{|_]+(?=[^\W_])")
_TRAIL = re.compile(r"(?<=[^\W_])[’”\]}|_]+$")
_PAIRS = {"‘": "’", "“": "”", "[": "]", "{": "}"}
_CLOSERS = {v: k for k, v in _PAIRS.items()}


def _tidy_line(line: str) -> str:
    words = line.split(" ")
    for i, word in enumerate(words):
        lead = _LEAD.match(word)
        if lead:
            after = " ".join([word[lead.end():], *words[i + 1:]])
            kept = "".join(c for c in lead.group(0) if c in _PAIRS and _PAIRS[c] in after)
            word = kept + word[lead.end():]
        trail = _TRAIL.search(word)
        if trail:
            before = " ".join([*words[:i], word[:trail.start()]])
            kept = "".join(c for c in trail.group(0) if c in _CLOSERS and _CLOSERS[c] in before)
            word = word[:trail.start()] + kept
        words[i] = word
    return " ".join(words)


def tidy(text: str) -> str:
    """The page text with stray marks removed from word edges (line structure kept)."""
    return "\n".join(_tidy_line(line) for line in text.split("\n"))
