"""Fitting clerk-facing text to a terminal line: cut at a word boundary, never mid-word.

Owns the one rule every front end uses for one-line summaries (review list,
authorization list, search results): lines are at most :data:`WIDTH`
columns, and text that does not fit is cut after a whole word with an
ellipsis.  Indentation and column padding are kept.  Pure.
"""

from __future__ import annotations

import re

WIDTH = 80  # a terminal line
_BREAKS = re.compile(r"\s*[\r\n\t\f]+\s*")


def fit(text: str, width: int = WIDTH) -> str:
    """``text`` on one line of at most ``width`` characters, cut at a word boundary with "…" when too long."""
    line = _BREAKS.sub(" ", text).rstrip()
    if len(line) <= width:
        return line
    cut = line[:width - 1]
    indent = len(cut) - len(cut.lstrip(" "))
    if line[width - 1] != " " and " " in cut[indent:]:
        cut = cut[:cut.rindex(" ")]
    return cut.rstrip(" ,;:-—") + "…"
