"""OCR lab: truth words missing and CPU per page on an evaluation corpus's raster pages, per variant.

    python -m benchmarks.ocr_lab ../shared/eval/dev-s11 --variant psm6:ocr.psm=6,option.despeckle=false --save R
    python -m benchmarks.ocr_lab ../shared/eval/dev-s11 --compare R/base.json R/psm6.json

Owns the quick OCR-only measurement (filing accuracy is ``benchmarks.eval``'s): a seeded sample of raster
pages per kind (truth ``kind``, plus ``_<ydpi>`` for TIFFs, as the corpus scorer groups them), each decoded
with the product's :func:`intake.pages.plan_pages` / :func:`~intake.pages.decode_page`, read with
:func:`intake.ocr.ocr_image` by every variant in turn (so drift in the machine's speed hits all alike), and
scored like ``score.py``: the order-free share of truth words missing.  CPU seconds are this process's and
its children's around the OCR call.  A variant's ``section.key=value`` settings mean what
``benchmarks.eval --set`` makes of them; ``option.field=value`` sets an :class:`intake.ocr.OcrOptions` field.
Variants start from the built-in defaults (no ``chartfile.toml``, no ``CHARTFILE_*`` environment).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import random
import re
import resource
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args, get_type_hints

from PIL import Image

from benchmarks.eval import Corpus, settings_env
from intake.config import RESAMPLE_CHOICES, Config, load_config
from intake.errors import ConfigError, FileRejected
from intake.ocr import DEFAULT_OPTIONS, OcrOptions, ocr_image
from intake.pages import decode_page, plan_pages
from intake.sniff import EXTENSIONS

PREFERRED_KINDS = ("tiff_98", "tiff_196", "pdf_scan", "png", "jpg")  # default order (it decides the sample)
NO_HOME = Path(os.devnull)  # a data home that holds no chartfile.toml
_BOOLS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
Row = tuple[int, int, float]  # words missing, truth words, CPU seconds
Decoded = tuple[Image.Image, tuple[float, float] | None]


class LabError(Exception):
    """A bad argument or input: reported as a usage error (exit code 2)."""


@dataclass(frozen=True)
class Variant:
    name: str
    cfg: Config
    options: OcrOptions


# ---------------------------------------------------------------------- variants
def parse_variant(spec: str) -> Variant:
    """``NAME:section.key=value,option.field=value,...`` -> a Variant (``NAME`` alone = the defaults)."""
    name, _, rest = spec.partition(":")
    if not _NAME.fullmatch(name.strip()):
        raise LabError(f"--variant wants NAME:SECTION.KEY=VALUE,... (NAME of letters, digits, _ . -), not {spec!r}")
    name = name.strip()
    settings: list[str] = []
    changes: dict[str, object] = {}
    for item in (part.strip() for part in rest.split(",")):
        key, sep, value = (s.strip() for s in item.partition("="))
        if not item:
            continue
        if not sep or "." not in key.strip("."):
            raise LabError(f"--variant {name}: {item!r} is not SECTION.KEY=VALUE")
        if key.startswith("option."):
            try:
                changes[key[len("option."):]] = option_value(key[len("option."):], value)
            except LabError as exc:
                raise LabError(f"--variant {name}: {exc}") from None
        else:
            settings.append(f"{key}={value}")
    return Variant(name, variant_config(name, settings), DEFAULT_OPTIONS.with_(**changes))


def variant_config(name: str, settings: Sequence[str]) -> Config:
    """The defaults with ``section.key=value`` settings applied the way ``CHARTFILE_*`` variables are."""
    try:
        return load_config(NO_HOME, environ=settings_env(settings))
    except ConfigError as exc:
        raise LabError(f"--variant {name}: {str(exc).replace('CHARTFILE_', '')}") from exc


def option_value(field: str, raw: str) -> object:
    """``raw`` as the type of the OcrOptions field (``none`` = the field's Config fallback)."""
    hints = get_type_hints(OcrOptions)
    if field not in hints:
        raise LabError(f"unknown setting option.{field} (OcrOptions fields: {', '.join(sorted(hints))})")
    types = [t for t in get_args(hints[field]) if t is not type(None)] or [hints[field]]
    if raw.lower() == "none" and type(None) in get_args(hints[field]):
        return None
    if field == "resample" and raw not in RESAMPLE_CHOICES:
        raise LabError(f"option.resample must be one of {', '.join(RESAMPLE_CHOICES)}, not {raw!r}")
    try:
        return _BOOLS[raw.lower()] if types[0] is bool else types[0](raw)
    except (KeyError, TypeError, ValueError) as exc:
        raise LabError(f"bad value for option.{field}: {raw!r}") from exc


def variants(specs: Iterable[str], with_base: bool) -> list[Variant]:
    """``base`` (unless left out) and the parsed ``--variant`` specs, names unique."""
    chosen = ([parse_variant("base")] if with_base else []) + [parse_variant(s) for s in specs]
    names = [v.name for v in chosen]
    if not chosen:
        raise LabError("nothing to run: --no-base needs at least one --variant")
    if len(set(names)) < len(names):
        raise LabError(f"variant names must differ ('base' is always run unless --no-base): {', '.join(names)}")
    return chosen


# ---------------------------------------------------------------------- pages
def kind_of(record: dict[str, Any]) -> str:
    """``tiff_196``, ``pdf_scan``, ...: the scorer's per-kind grouping."""
    return str(record["kind"]) + (f"_{record['dpi'][1]}" if record.get("dpi") else "")


def words_missing(truth: str, text: str) -> tuple[int, int]:
    """(truth words missing from ``text``, truth words), order-free, as the corpus scorer counts them."""
    want, got = Counter(truth.split()), Counter(text.split())
    total = sum(want.values())
    return total - sum(min(n, got[w]) for w, n in want.items()), total


def raster_pages(truth: dict[str, dict[str, Any]]) -> dict[str, list[tuple[str, int]]]:
    """Kind -> (file, page) of every non-blank page with truth text (no bad files, text-layer PDFs,
    quarantined files or duplicates); kinds in PREFERRED_KINDS order, files in name order."""
    found: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for name, rec in sorted(truth.items()):
        if rec["expect"] in ("quarantine", "duplicate") or rec["kind"] in ("bad", "pdf_text"):
            continue
        for number in range(1, rec["pages"] + 1):
            info = (rec.get("page_info") or {}).get(str(number), {})
            if not info.get("blank") and rec["text"].get(str(number), "").strip():
                found[kind_of(rec)].append((name, number))
    order = {kind: i for i, kind in enumerate(PREFERRED_KINDS)}
    return {kind: found[kind] for kind in sorted(found, key=lambda k: (order.get(k, len(order)), k))}


def sample(truth: dict[str, dict[str, Any]], n: int, seed: int, kinds: Sequence[str]) -> list[tuple[str, int]]:
    """``n`` pages of each kind (in the order given), drawn with one seeded generator."""
    rng, found, chosen = random.Random(seed), raster_pages(truth), []
    for kind in kinds:
        if kind not in found:
            raise LabError(f"unknown kind {kind!r}; this corpus has: {', '.join(found)}")
        pool = list(found[kind])
        rng.shuffle(pool)
        chosen += pool[:n]
    return chosen


def listed_pages(path: Path, truth: dict[str, dict[str, Any]]) -> list[tuple[str, int]]:
    """``file:page`` lines (``#`` comments allowed), or the keys of a ``--save``d JSON file."""
    try:
        text = path.read_text(encoding="utf-8")
        lines = list(json.loads(text)) if path.suffix == ".json" else text.splitlines()
    except (OSError, ValueError) as exc:
        raise LabError(f"cannot read --pages {path}: {exc}") from exc
    pages = []
    for line in (raw.strip() for raw in lines):
        name, _, number = line.rpartition(":")
        if not line or line.startswith("#"):
            continue
        if name not in truth or not number.isdigit() or not 1 <= int(number) <= truth[name]["pages"]:
            raise LabError(f"--pages {path}: {line!r} is not FILE:PAGE of a file in truth.jsonl")
        pages.append((name, int(number)))
    return pages


# ---------------------------------------------------------------------- running
def decode_key(cfg: Config) -> str:
    """What decoding depends on besides the page: the intake and OCR settings (intake/pages.py reads both)."""
    return repr((cfg.ocr, cfg.intake))


def decode(inbox: Path, name: str, number: int, cfg: Config, cache: Path | None) -> Decoded | None:
    """The page image as the worker gets it; None when the page has a usable text layer (not OCRed)."""
    path = inbox / name
    stat = path.stat()
    key = repr((str(path), stat.st_size, stat.st_mtime_ns, number, decode_key(cfg)))
    hit = cache / f"{hashlib.sha1(key.encode()).hexdigest()[:20]}.pkl" if cache else None
    if hit and hit.exists():
        cached: Decoded | None = pickle.loads(hit.read_bytes())  # our own --cache folder
        return cached
    job = {j.number: j for j in plan_pages(path, EXTENSIONS.get(path.suffix.lower(), ""), cfg)}[number]
    value = None if job.text_layer is not None else decode_page(job, cfg)
    if hit:
        hit.write_bytes(pickle.dumps(value))
    return value


def cpu_seconds() -> float:
    """CPU of this process and its finished children (the ``cli`` engine's tesseract)."""
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + kids.ru_utime + kids.ru_stime


def warm_up(chosen: Sequence[Variant]) -> None:
    """Load the tesseract models before the first timed page (the library engine loads them once)."""
    from intake._exec import tesseract

    blank = Image.new("L", (64, 64), 255)
    for lang, engine in {(v.cfg.ocr.language, v.cfg.ocr.engine) for v in chosen}:
        tesseract.ocr(blank, lang=lang, engine=engine)
        tesseract.orientation(blank, engine=engine)


def measure(variant: Variant, page: Decoded, number: int, truth_text: str) -> Row:
    """OCR one page with the variant: (words missing, truth words, CPU seconds of the OCR call)."""
    before = cpu_seconds()
    text = ocr_image(page[0], number, variant.cfg, page[1], options=variant.options).text
    spent = cpu_seconds() - before
    return (*words_missing(truth_text, text), round(spent, 3))


def run(corpus: Path, truth: dict[str, dict[str, Any]], pages: Sequence[tuple[str, int]],
        chosen: Sequence[Variant], cache: Path | None) -> dict[str, dict[str, Row]]:
    """Variant name -> {"file:page": row}; each page is read by every variant in turn."""
    os.environ["OMP_THREAD_LIMIT"] = "1"
    warm_up(chosen)
    results: dict[str, dict[str, Row]] = {v.name: {} for v in chosen}
    for i, (name, number) in enumerate(pages, 1):
        print(f"[{i}/{len(pages)}] {name}:{number}", file=sys.stderr, flush=True)
        decoded: dict[str, Decoded | None] = {}  # variants whose settings decode alike share the image
        for v in chosen:
            if decode_key(v.cfg) not in decoded:
                try:
                    decoded[decode_key(v.cfg)] = decode(corpus / "inbox", name, number, v.cfg, cache)
                except FileRejected as exc:
                    print(f"  {v.name}: skipped ({exc})", file=sys.stderr)
                    decoded[decode_key(v.cfg)] = None
            page = decoded[decode_key(v.cfg)]
            if page is not None:
                results[v.name][f"{name}:{number}"] = measure(v, page, number, truth[name]["text"][str(number)])
    return results


# ---------------------------------------------------------------------- reporting
def by_kind(keys: Iterable[str], truth: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """``file:page`` keys grouped by the kind of their file, kinds in name order."""
    groups: dict[str, list[str]] = defaultdict(list)
    for key in sorted(keys):
        groups[kind_of(truth[key.rpartition(":")[0]])].append(key)
    return dict(sorted(groups.items()))


def totals(rows: dict[str, Row], keys: Sequence[str]) -> tuple[float, float]:
    """(share of truth words missing, CPU seconds per page) over ``keys``."""
    words = max(sum(rows[k][1] for k in keys), 1)
    return sum(rows[k][0] for k in keys) / words, sum(rows[k][2] for k in keys) / max(len(keys), 1)


def summary(label: str, rows: dict[str, Row], truth: dict[str, dict[str, Any]]) -> str:
    """``label all:share kind:share ...  cpu/page Xs [kind:s ...] (n=N)``."""
    kinds = {kind: totals(rows, keys) for kind, keys in by_kind(rows, truth).items()}
    share, cpu = totals(rows, list(rows))
    return (f"{label:24s} all:{share:.3f} " + " ".join(f"{k}:{t[0]:.3f}" for k, t in kinds.items())
            + f"  cpu/page {cpu:.2f}s [" + " ".join(f"{k}:{t[1]:.2f}" for k, t in kinds.items())
            + f"] (n={len(rows)})")


def compare(a: dict[str, Row], b: dict[str, Row], truth: dict[str, dict[str, Any]], names: tuple[str, str]) -> str:
    """Per kind, on the pages both runs read: words missing, pages better/worse in B, CPU per page."""
    common = sorted(set(a) & set(b))
    lines = [f"A = {names[0]}, B = {names[1]}",
             f"{'kind':10} {'pages':>5} {'A missing':>10} {'B missing':>10} {'B-A':>7} {'B better/worse':>15} "
             f"{'A cpu/page':>11} {'B cpu/page':>11}"]
    for kind, keys in [*by_kind(common, truth).items(), ("all", common)]:
        (sa, ca), (sb, cb) = totals(a, keys), totals(b, keys)
        moved = f"{sum(b[k][0] < a[k][0] for k in keys)}/{sum(b[k][0] > a[k][0] for k in keys)}"
        lines.append(f"{kind:10} {len(keys):5d} {sa:10.3f} {sb:10.3f} {sb - sa:+7.3f} {moved:>15} "
                     f"{ca:10.2f}s {cb:10.2f}s")
    if len(common) < len(set(a) | set(b)):
        lines.append(f"({len(set(a) ^ set(b))} pages read by only one run left out)")
    return "\n".join(lines)


def load_run(path: Path, truth: dict[str, dict[str, Any]]) -> dict[str, Row]:
    """A run written by ``--save``, checked against the corpus."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        rows = {str(k): (int(v[0]), int(v[1]), float(v[2])) for k, v in data.items()}
    except (OSError, ValueError, TypeError, LookupError, AttributeError) as exc:
        raise LabError(f"--compare {path}: not a run saved by --save ({exc})") from exc
    unknown = [k for k in rows if k.rpartition(":")[0] not in truth]
    if unknown:
        raise LabError(f"--compare {path}: {unknown[0]!r} is not a page of this corpus")
    return rows


# ---------------------------------------------------------------------- main
def load_truth(corpus: Path) -> dict[str, dict[str, Any]]:
    """File name -> truth record."""
    if not (corpus / "truth.jsonl").is_file() or not (corpus / "inbox").is_dir():
        raise LabError(f"{corpus} is not an evaluation corpus (it needs truth.jsonl and inbox/)")
    return {r["file"]: r for r in Corpus.load(corpus, None).truth}


def outside(corpus: Path, folder: Path | None, option: str) -> Path | None:
    """``folder`` resolved, refused when it is inside the corpus (which is only ever read)."""
    if folder is not None and folder.resolve().is_relative_to(corpus):
        raise LabError(f"{option} {folder} is inside the corpus; write elsewhere")
    return folder.resolve() if folder is not None else None


def parse_args(argv: list[str] | None) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.ocr_lab", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path, help="corpus folder with truth.jsonl and inbox/")
    ap.add_argument("--variant", action="append", default=[], metavar="NAME:SECTION.KEY=VALUE,...",
                    help="a variant to run (repeatable); keys are Config settings or option.<OcrOptions field>")
    ap.add_argument("--no-base", action="store_true", help="do not run the defaults ('base') first")
    ap.add_argument("--n", type=int, default=12, help="pages per kind (default 12)")
    ap.add_argument("--kinds", help=f"comma-separated (default: all the corpus has: {','.join(PREFERRED_KINDS)})")
    ap.add_argument("--seed", type=int, default=1, help="sampling seed (default 1)")
    ap.add_argument("--pages", type=Path, metavar="FILE", help="file:page lines (or a saved run) instead of a sample")
    ap.add_argument("--save", type=Path, metavar="DIR", help="write DIR/<variant>.json per variant")
    ap.add_argument("--cache", type=Path, metavar="DIR", help="keep decoded pages here between runs")
    ap.add_argument("--compare", type=Path, nargs=2, metavar=("A.json", "B.json"),
                    help="compare two saved runs per kind (no OCR)")
    return ap, ap.parse_args(argv)


def lab(a: argparse.Namespace) -> None:
    """Compare two saved runs, or sample, run every variant and print (and save) one line each."""
    corpus = a.corpus.resolve()
    truth = load_truth(corpus)
    if a.compare:
        first, second = (load_run(p, truth) for p in a.compare)
        print(compare(first, second, truth, (a.compare[0].stem, a.compare[1].stem)))
        return
    chosen = variants(a.variant, not a.no_base)
    save, cache = outside(corpus, a.save, "--save"), outside(corpus, a.cache, "--cache")
    if a.n < 1:
        raise LabError("--n must be at least 1")
    kinds = [k.strip() for k in a.kinds.split(",") if k.strip()] if a.kinds else list(raster_pages(truth))
    pages = listed_pages(a.pages, truth) if a.pages else sample(truth, a.n, a.seed, kinds)
    for folder in (save, cache):
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
    results = run(corpus, truth, pages, chosen, cache)
    for v in chosen:
        print(summary(v.name, results[v.name], truth), flush=True)
        if save is not None:
            rows = ",\n".join(f"{json.dumps(k)}: {json.dumps(r)}" for k, r in results[v.name].items())
            (save / f"{v.name}.json").write_text("{\n" + rows + "\n}\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap, a = parse_args(argv)
    try:
        lab(a)
    except LabError as exc:
        ap.error(str(exc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
