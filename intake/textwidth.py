"""Fitting clerk-facing text to a terminal line: cut at a word boundary, never mid-word.

Owns the one rule every front end uses for one-line summaries (review list,
authorization list): lines are at most :data:`WIDTH` columns, and text that
does not fit is cut after a whole word with an ellipsis.  Pure.
"""

from __future__ import annotations

WIDTH = 80  # a terminal line


def fit(text: str, width: int = WIDTH) -> str:
    """``text`` on one line of at most ``width`` characters, cut at a word boundary with "…" when too long."""
    flat = " ".join(text.split())
    if len(flat) <= width:
        return flat
    cut = flat[:width - 1]
    if " " in cut and flat[width - 1] != " ":
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-—") + "…"
