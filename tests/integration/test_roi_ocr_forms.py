"""Opt-in accuracy benchmark: draft fields parsed from OCRed synthetic ROI forms vs ground truth.

Renders N synthetic authorization forms (samples/) as 1-bit fine-mode fax
pages, OCRs them with tesseract through ``intake.ocr`` and compares the
parsed draft fields with the generator's ground truth.  Skipped unless
``ROI_OCR_BENCH=N`` is set (it takes several seconds of CPU per form):

    ROI_OCR_BENCH=40 python -m pytest -m slow tests/integration/test_roi_ocr_forms.py -s
"""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest

from indexer.roi.formparse import ParsedForm, parse_form

COUNT = int(os.environ.get("ROI_OCR_BENCH", "0") or 0)
FIRST_SEED = int(os.environ.get("ROI_OCR_BENCH_SEED", "5000"))
SENT = dt.datetime(2025, 3, 1, 10, 0)
STATEMENTS = (("stmt_revocation", "1. I may revoke"), ("stmt_conditioning", "2. Treatment"),
              ("stmt_redisclosure", "3. Information disclosed"))


def _ocr_one(seed: int) -> tuple[str, str, dict[str, Any]]:
    from intake.config import Config
    from intake.ocr import ocr_image
    from samples.documents import make_document
    from samples.render import PageSpec, render_page
    from samples.roster import generate_roster

    rng = random.Random(seed)
    row = generate_roster(200, 7)[seed % 200]
    doc = make_document(rng, "roi_authorization", row, sent=SENT)
    texts = []
    for number, lines in enumerate(doc.pages, start=1):
        spec = PageSpec(lines=lines, seed=str(seed), speckle=0.2, skew=rng.uniform(-0.8, 0.8))
        img = render_page(spec, "fine")
        texts.append(ocr_image(img, number, Config(), dpi=img.info["dpi"]).text)
    return "\n".join(doc.page_texts()), "\n".join(texts), doc.truth["roi"]


def _fields_ok(f: ParsedForm, truth: dict[str, Any], printed: str) -> dict[str, bool]:
    recipient = f"{f.recipient_name}, {f.recipient_address}" if f.recipient_address else f.recipient_name
    out = {
        "recipient": recipient == truth["recipient"],
        "purpose": f.purpose == truth["purpose"],
        "expiration": (f.expires_on.isoformat() if f.expires_on else None) == truth["expires"]
        and (truth["expires"] is not None or f.expiration_event == truth["expiration_event"]),
        "signature_date": (f.signed_on.isoformat() if f.signed_on else None) == truth["signed_date"],
        "representative": bool(f.representative_authority) == truth["signed_by_representative"],
        "discloser": bool(f.discloser) == truth["elements"]["disclosing_party"],
        "description": bool(f.doc_types) == truth["elements"]["description"],
    }
    for attr, phrase in STATEMENTS:
        out[attr] = getattr(f, attr) == (phrase in printed)
    return out


@pytest.mark.slow
@pytest.mark.skipif(COUNT <= 0, reason="set ROI_OCR_BENCH=N to run the OCR form benchmark")
@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract not installed")
def test_draft_fields_from_ocred_forms() -> None:
    with ProcessPoolExecutor() as pool:
        results = list(pool.map(_ocr_one, range(FIRST_SEED, FIRST_SEED + COUNT)))
    ok: Counter[str] = Counter()
    perfect = 0
    false_statements = 0
    for printed, ocr_text, truth in results:
        form = parse_form(ocr_text, SENT.date())
        checks = _fields_ok(form, truth, printed)
        ok.update(k for k, v in checks.items() if v)
        perfect += all(checks.values())
        false_statements += sum(getattr(form, a) and phrase not in printed for a, phrase in STATEMENTS)
    print(f"\nROI form OCR benchmark: {COUNT} forms (seeds {FIRST_SEED}..{FIRST_SEED + COUNT - 1})")
    for name in sorted(ok):
        print(f"  {name:18s} {ok[name]}/{COUNT}")
    print(f"  all fields right  {perfect}/{COUNT}; statements claimed but absent: {false_statements}")
    assert false_statements == 0  # a statement is never reported present when the form lacks it
    assert perfect >= 0.8 * COUNT
