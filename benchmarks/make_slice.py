"""Cut the fixed CI regression slice of an evaluation corpus into ``tests/eval_slice/``.

    python -m benchmarks.make_slice ../shared/eval/dev-s11 [--out tests/eval_slice] [--seed 15]

CI has no ``../shared``: the slice test (``tests/integration/test_eval_slice.py``)
runs the product on copies of ~30 inbox files with their truth lines, the whole
roster and the corpus scorer.  Files are drawn at random (fixed seed) within
strata — kind × category × expected outcome — so the slice keeps the corpus's
mix of faxes, scans, photos, text PDFs, multi-patient faxes, packets,
must-review documents, bad inputs and an exact duplicate, without being
chosen for what the product happens to get right.  Large photos and
decompression bombs are left out to keep the slice under ~5 MB.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Any

# (kind, category, expect) -> how many files
STRATA: dict[tuple[str, str, str], int] = {
    ("tiff", "file", "file"): 6, ("tiff", "packet", "file"): 3, ("tiff", "multi", "file"): 2,
    ("tiff", "review", "review"): 3, ("pdf_text", "file", "file"): 4, ("pdf_text", "review", "review"): 2,
    ("pdf_scan", "file", "file"): 3, ("pdf_scan", "review", "review"): 2, ("pdf_scan", "multi", "file"): 1,
    ("png", "file", "file"): 1, ("jpg", "file", "file"): 1, ("jpg", "review", "review"): 1,
}
BAD_HAZARDS = ("zero_byte", "truncated_pdf", "html_as_pdf")
MAX_FILE_BYTES = 700_000


def choose(truth: list[dict[str, Any]], inbox: Path, seed: int) -> list[str]:
    rng = random.Random(seed)
    groups: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for r in sorted(truth, key=lambda r: r["file"]):
        if r.get("hazard") is None and (inbox / r["file"]).stat().st_size <= MAX_FILE_BYTES:
            groups[(r["kind"], r["category"], r["expect"])].append(r["file"])
    chosen: list[str] = []
    for key, n in STRATA.items():
        chosen += rng.sample(groups[key], min(n, len(groups[key])))
    for hazard in BAD_HAZARDS:
        bad = sorted(r["file"] for r in truth if r.get("hazard") == hazard)
        chosen.append(rng.choice(bad))
    dups = sorted((r["file"], r["duplicate_of"]) for r in truth
                  if r.get("hazard") == "exact_duplicate" and r["kind"] == "pdf_text")
    if dups:
        chosen += list(rng.choice(dups))
    return sorted(set(chosen))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--out", type=Path, default=Path("tests/eval_slice"))
    ap.add_argument("--seed", type=int, default=15)
    a = ap.parse_args(argv)
    truth = [json.loads(x) for x in (a.corpus / "truth.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    files = choose(truth, a.corpus / "inbox", a.seed)
    inbox = a.out / "inbox"
    if inbox.exists():
        shutil.rmtree(inbox)
    inbox.mkdir(parents=True)
    for name in files:
        shutil.copyfile(a.corpus / "inbox" / name, inbox / name)
    keep = set(files)
    lines = [json.dumps(r, ensure_ascii=False) for r in truth if r["file"] in keep]
    (a.out / "truth.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    shutil.copyfile(a.corpus / "roster.csv", a.out / "roster.csv")
    shutil.copyfile(a.corpus.parent / "score.py", a.out / "score.py")
    size = sum(p.stat().st_size for p in a.out.rglob("*") if p.is_file())
    pages = sum(r["pages"] for r in truth if r["file"] in keep)
    print(f"{len(files)} files, {pages} pages, {size / 1e6:.1f} MB in {a.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
