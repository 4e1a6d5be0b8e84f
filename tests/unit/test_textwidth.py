"""One-line summaries fit 80 columns and are never cut mid-word (issue 18)."""

from __future__ import annotations

from intake.textwidth import fit

INSTRUCTION = ("draft authorization #1 from a scanned form: check it against the form and run "
               "'chartfile roi authorization confirm 1'")


def test_short_lines_keep_their_padding_and_indentation() -> None:
    assert fit("      #2   D3     lab_result") == "      #2   D3     lab_result"


def test_long_lines_are_cut_after_a_whole_word() -> None:
    line = fit(INSTRUCTION)
    assert len(line) <= 80 and line.endswith("…")
    assert line[:-1].rstrip() + " " in INSTRUCTION + " "  # a whole-word prefix
    assert fit("x" * 100, 10) == "x" * 9 + "…"


def test_line_breaks_become_spaces() -> None:
    assert fit("RE: Joe\nSullivan\tDOB") == "RE: Joe Sullivan DOB"
