"""Whole fax files with ground truth: single documents, cover sheets and batch faxes.

This module owns the *assembly* of a received fax: which documents it holds
(optionally behind a cover sheet, or several patients' documents in one
"batch fax"), the fax header line on every page (its date is the
transmission date, never the document date), page-level accidents (blank
pages, a page fed upside down, skew, speckle, a RECEIVED stamp) and the
ground-truth record written to ``ground_truth.jsonl``.

Public entry points: :func:`make_fax` (one small file, for tests),
:func:`generate_faxes` (a corpus) and :func:`make_demo` (the quick-start set).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from samples import _data
from samples.documents import DOC_TYPE_WEIGHTS, Document, Line, make_document, page_text
from samples.formats import FORMATS, format_info, write_pages
from samples.render import PageSpec
from samples.roster import REFERENCE_DATE, Roster, build_roster, make_stranger, write_roster

FORMAT_WEIGHTS: dict[str, float] = {
    "tiff-fine": 0.30, "tiff-standard": 0.15, "tiff-g3": 0.05, "pdf-image": 0.25,
    "pdf-text": 0.12, "png": 0.06, "jpeg": 0.07,
}
DEFAULT_FORMATS = ("tiff-fine", "tiff-standard", "pdf-image", "pdf-text", "png", "jpeg")
TO_FAX = "5555550199"

# Which document types a batch sender of each kind sends.
BATCH_TYPES: dict[str, tuple[str, ...]] = {
    "lab": ("lab_result",),
    "hospital": ("discharge_summary", "lab_result", "imaging_report", "clinical_note"),
    "imaging": ("imaging_report",),
    "clinic": ("clinical_note", "referral", "correspondence"),
}


@dataclass
class Noise:
    """Page accidents for one file (all off = a clean synthetic page)."""

    skew: float = 0.0  # base skew in degrees for the whole feed
    speckle: float = 0.0
    stamp: bool = False
    rotate_rate: float = 0.0  # per page chance of a 180° page
    blank_rate: float = 0.0  # per file chance of one blank page

    @classmethod
    def realistic(cls, rng: random.Random) -> Noise:
        """Typical inbound-fax noise."""
        return cls(
            skew=0.0 if rng.random() < 0.3 else rng.uniform(-2.0, 2.0),
            speckle=rng.choice((0.0, 0.05, 0.15, 0.3, 0.5)),
            stamp=rng.random() < 0.2,
            rotate_rate=0.02,
            blank_rate=0.05,
        )


@dataclass
class Part:
    """A document placed in a fax, with the roster MRN of its patient (if known)."""

    doc: Document
    blank_after: int | None = None  # index of a page followed by a blank page


@dataclass
class FaxPlan:
    """The documents of one fax file before rendering."""

    sent: dt.datetime
    sender: dict[str, Any]
    parts: list[Part] = field(default_factory=list)
    batch: bool = False


# --------------------------------------------------------------------------
# planning
# --------------------------------------------------------------------------
def pick_sent(rng: random.Random) -> dt.datetime:
    """A transmission time in the weeks before the reference date, mostly office hours."""
    day = REFERENCE_DATE - dt.timedelta(days=rng.randint(0, 45))
    while day.weekday() >= 5 and rng.random() < 0.9:
        day -= dt.timedelta(days=1)
    return dt.datetime(day.year, day.month, day.day, rng.randint(7, 18), rng.randint(0, 59), rng.randint(0, 59))


def _patient(rng: random.Random, roster: Roster, unknown_rate: float,
             exclude: set[str]) -> tuple[dict[str, str], bool]:
    if rng.random() < unknown_rate or not roster.rows:
        return make_stranger(rng.randrange(10**9), roster.rows), False
    pool = [r for r in roster.rows if r["mrn"] not in exclude] or roster.rows
    return rng.choice(pool), True


def _doc_type(rng: random.Random) -> str:
    types = list(DOC_TYPE_WEIGHTS)
    return rng.choices(types, weights=[DOC_TYPE_WEIGHTS[t] for t in types])[0]


def plan_single(rng: random.Random, roster: Roster, *, fmt: str, unknown_rate: float,
                doc_type: str | None = None, row: dict[str, str] | None = None,
                in_roster: bool = True, pages: int | None = None, cover_rate: float = 0.25,
                force: dict[str, bool] | None = None, variant: str = "", sent: dt.datetime | None = None) -> FaxPlan:
    """One patient's document, sometimes behind a cover sheet (sent at ``sent``, else before the reference date)."""
    sent = sent or pick_sent(rng)
    doc_type = doc_type or _doc_type(rng)
    if row is None:
        row, in_roster = _patient(rng, roster, unknown_rate, set())
    single_page = not format_info(fmt).multipage
    extras = roster.extras(row["mrn"]) if in_roster and row.get("mrn") else {}
    if variant:
        extras["force_variant"] = variant
    doc = make_document(rng, doc_type, row, sent=sent, pages=1 if single_page else pages,
                        extras=extras, in_roster=in_roster, force=force)
    sender = _sender_of(doc)
    plan = FaxPlan(sent=sent, sender=sender, parts=[Part(doc)])
    if not single_page and doc_type != "fax_cover" and rng.random() < cover_rate:
        cover = make_document(rng, "fax_cover", row, sent=sent, pages=1, extras=extras,
                              in_roster=in_roster, sender=sender,
                              cover={"total_pages": 1 + len(doc.pages)})
        plan.parts.insert(0, Part(cover))
    return plan


def plan_batch(rng: random.Random, roster: Roster, *, unknown_rate: float) -> FaxPlan:
    """A cover sheet then 2-3 documents for different patients from one sender."""
    sent = pick_sent(rng)
    kind = rng.choice(sorted(BATCH_TYPES))
    sender = dict(rng.choice([o for o in _data.ORGS if o["kind"] == kind]))
    plan = FaxPlan(sent=sent, sender=sender, batch=True)
    used: set[str] = set()
    for _ in range(rng.choice((2, 2, 3))):
        row, in_roster = _patient(rng, roster, unknown_rate, used)
        used.add(row["mrn"])
        extras = roster.extras(row["mrn"]) if in_roster else {}
        doc = make_document(rng, rng.choice(BATCH_TYPES[kind]), row, sent=sent, pages=rng.randint(1, 3),
                            extras=extras, in_roster=in_roster, sender=sender)
        plan.parts.append(Part(doc))
    total = 1 + sum(len(p.doc.pages) for p in plan.parts)
    cover = make_document(rng, "fax_cover", None, sent=sent, pages=1, sender=sender,
                          cover={"total_pages": total, "batch_patients": len(plan.parts)})
    plan.parts.insert(0, Part(cover))
    return plan


def _sender_of(doc: Document) -> dict[str, Any]:
    sender = dict(doc.sender)
    sender.setdefault("short", sender["name"].upper()[:22])
    return sender


# --------------------------------------------------------------------------
# fax header and page specs
# --------------------------------------------------------------------------
def fax_header(style: int, sent: dt.datetime, sender: dict[str, Any], page: int, total: int) -> str:
    """The sending machine's header line (date/time = transmission time)."""
    digits = "".join(c for c in sender["fax"] if c.isdigit())
    compact = sender["fax"].replace(" ", "")
    short = sender.get("short") or sender["name"].upper()
    if style == 0:
        return (f"{sent:%b-%d-%Y %H:%M}".upper() + f"  FROM: {short}  {compact}  TO: {TO_FAX}  P.{page}/{total}")
    if style == 1:
        return f"{sent:%m/%d/%Y %I:%M %p}  {digits}  {short}  PAGE {page:02d}/{total:02d}"
    return f"{sent:%b %d %Y %I:%M%p}  {short}  {digits}  p.{page}"


def _stamp_text(sent: dt.datetime, rng: random.Random) -> tuple[str, ...]:
    received = sent.date() + dt.timedelta(days=rng.choice((0, 0, 1)))
    return ("RECEIVED", received.strftime("%b %d %Y").upper())


def layout_pages(plan: FaxPlan, fmt: str, rng: random.Random, noise: Noise,
                 seed_tag: str) -> tuple[list[PageSpec], list[dict[str, Any]], list[dict[str, Any]]]:
    """Page specs, per-page ground truth and per-document ground truth (with page ranges)."""
    raster = format_info(fmt).raster
    multipage = format_info(fmt).multipage
    flat: list[tuple[int, list[Line] | None]] = []  # (document index, lines or None for blank)
    for i, part in enumerate(plan.parts):
        for lines in part.doc.pages:
            flat.append((i, lines))
    if multipage and noise.blank_rate and rng.random() < noise.blank_rate and len(flat) >= 1:
        at = rng.randint(1, len(flat))
        flat.insert(at, (flat[at - 1][0], None))
    total = len(flat)
    style = rng.randrange(3)
    stamp = _stamp_text(plan.sent, rng) if noise.stamp and raster else None
    specs, pages_gt = [], []
    for n, (doc_i, page_lines) in enumerate(flat, 1):
        rotation = 180 if raster and multipage and n > 1 and rng.random() < noise.rotate_rate else 0
        skew = round(noise.skew + rng.uniform(-0.25, 0.25), 2) if raster and noise.skew else 0.0
        header = fax_header(style, plan.sent, plan.sender, n, total)
        spec = PageSpec(lines=page_lines or [], header=header, rotation=rotation, skew=skew,
                        stamp=stamp if n == 1 and page_lines else None,
                        speckle=noise.speckle if raster else 0.0, seed=f"{seed_tag}:{n}")
        specs.append(spec)
        pages_gt.append({"number": n, "document": doc_i, "kind": "content" if page_lines else "blank",
                         "rotation": rotation, "skew": skew, "stamp": " ".join(spec.stamp) if spec.stamp else None})
    docs_gt = []
    for i, part in enumerate(plan.parts):
        nums = [p["number"] for p in pages_gt if p["document"] == i]
        docs_gt.append({"pages": [nums[0], nums[-1]], **part.doc.truth})
    return specs, pages_gt, docs_gt


def _fax_truth(plan: FaxPlan, style_header: str) -> dict[str, Any]:
    return {"sent": plan.sent.isoformat(timespec="minutes"), "from": plan.sender.get("short"),
            "from_fax": plan.sender["fax"], "to_fax": TO_FAX, "header_example": style_header}


def write_plan(plan: FaxPlan, path: str | Path, fmt: str, rng: random.Random,
               noise: Noise, seed_tag: str) -> dict[str, Any]:
    """Render and write the fax; return its ground-truth record."""
    specs, pages_gt, docs_gt = layout_pages(plan, fmt, rng, noise, seed_tag)
    out = write_pages(specs, path, fmt)
    info = format_info(fmt)
    return {
        "file": out.name,
        "format": fmt,
        "resolution": list(info.dpi) if info.raster else None,
        "page_count": len(specs),
        "batch": plan.batch,
        "fax": _fax_truth(plan, specs[0].header or ""),
        "documents": docs_gt,
        "pages": pages_gt,
        "page_texts": [_spec_text(s) for s in specs],
    }


def _spec_text(spec: PageSpec) -> str:
    header = " ".join((spec.header or "").split())
    body = page_text(spec.lines)
    return f"{header}\n{body}" if body else header


# --------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------
def make_fax(path: str | Path, patient_row: dict[str, str] | None, doc_type: str, fmt: str,
             seed: int, pages: int = 1, *, in_roster: bool = True, noise: bool = False,
             cover: bool = False, urgent: bool | None = None, sent: dt.datetime | None = None) -> dict[str, Any]:
    """Write one small fax file for ``patient_row`` and return its ground truth.

    ``patient_row`` is a roster row (``None`` makes an unknown stranger);
    ``noise`` adds realistic skew/speckle/stamp; ``cover`` puts a cover sheet first;
    ``urgent`` forces (True) or forbids (False) a critical value / URGENT marking;
    ``sent`` dates it (default: in the weeks before the reference date — a test that checks
    something against today's date, such as an authorization's expiry, passes today).
    The file is written exactly at ``path`` (its extension is not changed).
    """
    if pages > 1 and not format_info(fmt).multipage:
        raise ValueError(f"{fmt} holds one page; ask for pages=1 or a multi-page format")
    rng = random.Random(f"make_fax:{seed}")
    if patient_row is None:
        patient_row, in_roster = make_stranger(seed), False
    roster = Roster(rows=[patient_row] if in_roster else [], groups=[])
    plan = plan_single(rng, roster, fmt=fmt, unknown_rate=0.0, doc_type=doc_type, row=patient_row,
                       in_roster=in_roster, pages=pages, cover_rate=1.0 if cover else 0.0,
                       force=None if urgent is None else {"urgent": urgent}, sent=sent)
    return write_plan(plan, path, fmt, rng, Noise.realistic(rng) if noise else Noise(), f"make_fax:{seed}")


def _file_name(i: int, plan: FaxPlan, fmt: str) -> str:
    digits = "".join(c for c in plan.sender["fax"] if c.isdigit())
    return f"{plan.sent:%Y%m%d_%H%M%S}_{digits}_{i:05d}{format_info(fmt).ext}"


@dataclass(frozen=True)
class _Job:
    roster: Roster
    out: Path
    seed: int
    formats: tuple[str, ...]
    batch_rate: float
    unknown_rate: float
    noise: bool


def _one_fax(job: _Job, i: int) -> dict[str, Any]:
    """Plan, render and write fax number ``i``; everything derives from (seed, i)."""
    rng = random.Random(f"fax:{job.seed}:{i}")
    weights = [FORMAT_WEIGHTS.get(f, 0.1) for f in job.formats]
    fmt = rng.choices(list(job.formats), weights=weights)[0]
    if format_info(fmt).multipage and rng.random() < job.batch_rate:
        plan = plan_batch(rng, job.roster, unknown_rate=job.unknown_rate)
    else:
        plan = plan_single(rng, job.roster, fmt=fmt, unknown_rate=job.unknown_rate)
    n = Noise.realistic(rng) if job.noise else Noise()
    return write_plan(plan, job.out / _file_name(i, plan, fmt), fmt, rng, n, f"fax:{job.seed}:{i}")


def generate_faxes(roster: Roster, out_dir: str | Path, count: int, seed: int,
                   formats: tuple[str, ...] | list[str] = DEFAULT_FORMATS, batch_rate: float = 0.1,
                   unknown_rate: float = 0.05, noise: bool = True, workers: int = 1) -> list[dict[str, Any]]:
    """Write ``count`` fax files plus ``ground_truth.jsonl`` into ``out_dir``.

    ``workers`` > 1 renders in a process pool; output is identical either way.
    """
    for f in formats:
        format_info(f)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    job = _Job(roster, out, seed, tuple(formats), batch_rate, unknown_rate, noise)
    if workers > 1 and count > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(min(workers, count)) as pool:
            records = list(pool.map(functools.partial(_one_fax, job), range(count)))
    else:
        records = [_one_fax(job, i) for i in range(count)]
    write_ground_truth(records, out / "ground_truth.jsonl")
    return records


def write_ground_truth(records: list[dict[str, Any]], path: str | Path) -> Path:
    """One JSON object per line, keys in a stable order, UTF-8."""
    p = Path(path)
    with p.open("w", encoding="utf-8", newline="\n") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return p


def read_ground_truth(path: str | Path) -> list[dict[str, Any]]:
    """Read a ``ground_truth.jsonl``."""
    with Path(path).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


DEMO_SET: tuple[tuple[str, str, str, str, bool], ...] = (
    # (doc_type, format, patient pick, printed-name variant, urgent); pick: hard-case kind or "stranger"
    ("lab_result", "tiff-fine", "nickname", "nickname", True),
    ("batch", "pdf-image", "any", "", False),
    ("referral", "tiff-standard", "twins", "", False),
    ("roi_authorization", "pdf-text", "hyphenated", "", False),
    ("clinical_note", "tiff-fine", "stranger", "", False),
    ("insurance_card", "jpeg", "diacritics", "ascii", False),
)


def make_demo(out_dir: str | Path, seed: int = 2026) -> dict[str, Any]:
    """Write ``patients.csv`` (50 patients) and a handful of varied faxes in ``faxes/``."""
    out = Path(out_dir)
    roster = build_roster(50, seed)
    write_roster(roster, out / "patients.csv")
    fax_dir = out / "faxes"
    fax_dir.mkdir(parents=True, exist_ok=True)
    records = []
    by_mrn = roster.by_mrn()
    for i, (doc_type, fmt, pick, variant, urgent) in enumerate(DEMO_SET):
        rng = random.Random(f"demo:{seed}:{i}")
        if doc_type == "batch":
            plan = plan_batch(rng, roster, unknown_rate=0.0)
        else:
            groups = roster.groups_of(pick)
            row = by_mrn[groups[0].mrns[0]] if groups else rng.choice(roster.rows)
            plan = plan_single(rng, roster, fmt=fmt, unknown_rate=0.0, doc_type=doc_type,
                               row=make_stranger(seed, roster.rows) if pick == "stranger" else row,
                               in_roster=pick != "stranger", cover_rate=0.0 if i else 1.0,
                               force={"urgent": urgent}, variant=variant)
        noise = Noise.realistic(rng)
        records.append(write_plan(plan, fax_dir / _file_name(i, plan, fmt), fmt, rng, noise, f"demo:{seed}:{i}"))
    write_ground_truth(records, out / "ground_truth.jsonl")
    return {"roster": str(out / "patients.csv"), "faxes": str(fax_dir), "files": [r["file"] for r in records]}


__all__ = ["FORMATS", "generate_faxes", "make_demo", "make_fax", "read_ground_truth", "write_ground_truth"]
