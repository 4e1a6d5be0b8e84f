"""Stray marks glued to word edges by OCR are dropped; balanced quotes and brackets stay."""

from __future__ import annotations

import pytest

from intake import ocrtext


@pytest.mark.parametrize(("raw", "tidy"), [
    ("‘Patient Name: Ann Lee", "Patient Name: Ann Lee"),
    ("[Component | __Value__ Ref Range Units Flag|", "Component | Value Ref Range Units Flag"),
    ("Dr. “Smith said", "Dr. Smith said"),
    ("the “quoted” word", "the “quoted” word"),
    ("see [Appendix A] below", "see [Appendix A] below"),
    ("checked [x] today", "checked [x] today"),
    ("(253) 555-0101 (Maple Grove", "(253) 555-0101 (Maple Grove"),
    ("Signature: ______ Date: ____", "Signature: ______ Date: ____"),
    ("{Name", "Name"),
    ("Name}", "Name"),
    ("patient’s chart", "patient’s chart"),
])
def test_tidy_line(raw: str, tidy: str) -> None:
    assert ocrtext.tidy(raw) == tidy


def test_tidy_keeps_lines_and_blank_lines() -> None:
    assert ocrtext.tidy("|Name: A\n\n_DOB: 1\n") == "Name: A\n\nDOB: 1\n"
