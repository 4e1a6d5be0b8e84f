"""Command line for the synthetic data: ``python -m samples roster|faxes|hostile|demo``.

This module owns only argument parsing and printing; the work is done by
:mod:`samples.roster`, :mod:`samples.faxes` and :mod:`samples.hostile`.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import click

from samples.formats import FORMATS
from samples.roster import build_roster, load_roster, write_roster


def _formats(value: str) -> tuple[str, ...]:
    names = tuple(v.strip() for v in value.split(",") if v.strip())
    bad = [n for n in names if n not in FORMATS]
    if bad or not names:
        raise click.BadParameter(f"unknown format(s) {', '.join(bad) or '(none)'}; choose from {', '.join(FORMATS)}")
    return names


@click.group(help="Deterministic synthetic rosters, faxes and hostile files with ground truth.")
def cli() -> None:
    """Entry point."""


@cli.command(help="Write a synthetic roster CSV (and FILE.groups.json with its hard cases).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--count", default=500, show_default=True, type=click.IntRange(0))
@click.option("--seed", default=1, show_default=True, type=int)
def roster(out: Path, count: int, seed: int) -> None:
    """``python -m samples roster --out FILE.csv --count N --seed S``."""
    r = build_roster(count, seed)
    write_roster(r, out)
    click.echo(f"wrote {len(r.rows)} patients to {out} ({len(r.groups)} hard-case groups)")


@cli.command(help="Write fax files and DIR/ground_truth.jsonl.")
@click.option("--roster", "roster_csv", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--count", default=20, show_default=True, type=click.IntRange(0))
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--formats", "formats", default="tiff-fine,tiff-standard,pdf-image,pdf-text,png,jpeg",
              show_default=True, help=f"comma list of: {', '.join(FORMATS)}")
@click.option("--batch-rate", default=0.1, show_default=True, type=click.FloatRange(0, 1))
@click.option("--unknown-rate", default=0.05, show_default=True, type=click.FloatRange(0, 1))
@click.option("--clean", is_flag=True, help="no skew, speckle, stamps, blank or upside-down pages")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(0),
              help="render in N processes (0 = one per core); output is identical")
def faxes(roster_csv: Path, out: Path, count: int, seed: int, formats: str, batch_rate: float,
          unknown_rate: float, clean: bool, workers: int) -> None:
    """``python -m samples faxes --roster FILE.csv --out DIR --count N --seed S``."""
    from samples.faxes import generate_faxes

    fmts = _formats(formats)
    start = time.perf_counter()
    recs = generate_faxes(load_roster(roster_csv), out, count, seed, fmts, batch_rate, unknown_rate,
                          noise=not clean, workers=workers or (os.cpu_count() or 1))
    pages = sum(r["page_count"] for r in recs)
    click.echo(f"wrote {len(recs)} files ({pages} pages) to {out} in {time.perf_counter() - start:.1f}s; "
               f"ground truth: {out / 'ground_truth.jsonl'}")


@cli.command(help="Write hostile/bad input files and DIR/hostile.jsonl (expected outcomes).")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--max-pages", default=300, show_default=True, type=click.IntRange(1),
              help="page limit to exceed with the too-many-pages TIFF")
def hostile(out: Path, seed: int, max_pages: int) -> None:
    """``python -m samples hostile --out DIR``."""
    from samples.hostile import generate_hostile

    cases = generate_hostile(out, seed=seed, max_pages=max_pages)
    click.echo(f"wrote {len(cases)} hostile files to {out}; expectations: {out / 'hostile.jsonl'}")


@cli.command(help="Write a quick-start set: DIR/patients.csv and a few faxes in DIR/faxes/.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--seed", default=2026, show_default=True, type=int)
def demo(out: Path, seed: int) -> None:
    """``python -m samples demo --out DIR``."""
    from samples.faxes import make_demo

    info = make_demo(out, seed)
    click.echo(f"roster: {info['roster']}\nfaxes:  {info['faxes']} ({len(info['files'])} files)\n"
               f"ground truth: {out / 'ground_truth.jsonl'}")


def main() -> None:
    """Console entry point."""
    cli(prog_name="python -m samples")


if __name__ == "__main__":
    main()
