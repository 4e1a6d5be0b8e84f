"""Filing accuracy on an independent evaluation corpus, run the way a new office would.

    python -m benchmarks.eval ../shared/eval/dev-s11                 # full run: OCR every page (~10 CPU-min)
    python -m benchmarks.eval ../shared/eval/dev-s11 --replay HOME   # re-run everything after OCR (seconds)
    python -m benchmarks.eval ../shared/eval/dev-s11 --files 'fax_0*' --baseline OLD/metrics.json

A *full* run follows the corpus README exactly: a fresh temporary data home
with default settings, ``chartfile init``, ``patients import`` of the
corpus roster, ``ingest`` of a copy of the inbox, both exports, then the
corpus's own ``score.py``.  Everything goes through the ``chartfile``
console script of this checkout's virtualenv.

A *replay* takes a finished home's stored page texts (the ``pages`` table)
and re-runs everything after OCR — entity extraction, splitting, matching,
filing — into a fresh database with the product's own functions
(:func:`intake.workers.extract_entities`, :func:`indexer.filing.record_extracted`),
then exports and scores the same way.  Quarantine and duplicate verdicts are
copied from the source home (they are decided before OCR).

``--files`` limits either mode to inbox files matching shell patterns
(comma-separated, or ``@list.txt``); the truth is limited to the same files
so the scorer measures only what was run.  Output (exports, ``score.txt``,
``score-verbose.txt``, ``metrics.json``, ``run.json``) goes to ``--out``.
``--set section.key=value`` runs with a setting (as ``CHARTFILE_*``).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
_ROW = re.compile(r"^\s*(\S.*?)\s{2,}(\d+)\s*/\s*(\d+)\s+([\d.]+%|n/a)\s*$")
_WORDS = re.compile(r"^\s+(\S+)\s+([\d.]+)\s+\(words missing ([\d.]+), (\d+) chars\)")


# ---------------------------------------------------------------------- corpus
@dataclass
class Corpus:
    """An evaluation corpus folder (inbox/, roster.csv, truth.jsonl) and the files chosen from it."""

    path: Path
    truth: list[dict[str, Any]]
    files: list[str] = field(default_factory=list)  # inbox file names to run (sorted)

    @classmethod
    def load(cls, path: Path, patterns: str | None) -> Corpus:
        truth = [json.loads(line) for line in (path / "truth.jsonl").read_text(encoding="utf-8").splitlines()
                 if line.strip()]
        names = sorted(r["file"] for r in truth)
        chosen = names if not patterns else select_files(names, truth, patterns)
        return cls(path, truth, chosen)

    @property
    def subset(self) -> bool:
        return len(self.files) < len(self.truth)

    def scoring_dir(self, out: Path) -> Path:
        """The corpus itself, or (for a subset) a folder with the truth limited to the chosen files."""
        if not self.subset:
            return self.path
        target = out / "corpus"
        target.mkdir(parents=True, exist_ok=True)
        keep = set(self.files)
        lines = [json.dumps(r, ensure_ascii=False) for r in self.truth if r["file"] in keep]
        (target / "truth.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        shutil.copyfile(self.path / "roster.csv", target / "roster.csv")
        return target

    def copy_inbox(self, drop: Path) -> None:
        drop.mkdir(parents=True, exist_ok=True)
        for name in self.files:
            shutil.copyfile(self.path / "inbox" / name, drop / name)


def select_files(names: list[str], truth: list[dict[str, Any]], patterns: str) -> list[str]:
    """Inbox names matching any pattern; a chosen duplicate brings its original along."""
    if patterns.startswith("@"):
        pats = [p.strip() for p in Path(patterns[1:]).read_text(encoding="utf-8").splitlines() if p.strip()]
    else:
        pats = [p.strip() for p in patterns.split(",") if p.strip()]
    chosen = {n for n in names if any(fnmatch.fnmatchcase(n, p) for p in pats)}
    originals = {r.get("duplicate_of") for r in truth if r["file"] in chosen and r.get("duplicate_of")}
    return sorted(chosen | {o for o in originals if o})


# ---------------------------------------------------------------------- running
def chartfile_exe() -> str:
    """The ``chartfile`` console script of the virtualenv running this script."""
    exe = Path(sys.executable).parent / "chartfile"
    if not exe.exists():
        raise SystemExit(f"no chartfile script next to {sys.executable}; run with the checkout's .venv python")
    return str(exe)


def settings_env(settings: Iterable[str]) -> dict[str, str]:
    """``section.key=value`` -> ``CHARTFILE_SECTION__KEY=value``."""
    env: dict[str, str] = {}
    for item in settings:
        key, sep, value = item.partition("=")
        if not sep or "." not in key.strip(" ."):
            raise SystemExit(f"--set wants SECTION.KEY=VALUE, not {item!r}")
        env["CHARTFILE_" + key.strip().replace(".", "__").upper()] = value
    return env


class Runner:
    """Runs ``chartfile`` commands against one data home, logging each to the output folder."""

    def __init__(self, home: Path, out: Path, extra_env: dict[str, str]) -> None:
        self.home = home
        self.out = out
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CHARTFILE_")}
        self.env.update(extra_env)
        self.env["CHARTFILE_HOME"] = str(home)
        self.exe = chartfile_exe()

    def run(self, *args: str, stdout: Path | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        with open(stdout, "w", encoding="utf-8") if stdout else open(os.devnull, "w") as sink:
            proc = subprocess.run([self.exe, *args], env=self.env, stdout=sink if stdout else subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        if check and proc.returncode != 0:
            raise SystemExit(f"chartfile {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
        return proc

    def setup(self, corpus: Corpus) -> str:
        """init + patients import; returns what the import said."""
        self.run("init")
        imp = self.run("patients", "import", str(corpus.path / "roster.csv"), check=False)
        said = (imp.stdout or "") + (imp.stderr or "")
        (self.out / "import.txt").write_text(said, encoding="utf-8")
        return said.strip()

    def export(self) -> None:
        self.run("documents", "export", "--format", "jsonl", stdout=self.out / "docs.jsonl")
        self.run("intake", "export", "--format", "jsonl", stdout=self.out / "intake.jsonl")


def full_run(corpus: Corpus, runner: Runner) -> dict[str, Any]:
    """init, import, ingest a copy of the inbox, export (the README's recipe)."""
    info: dict[str, Any] = {"import": runner.setup(corpus)}
    drop = runner.home / "drop"
    corpus.copy_inbox(drop)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    proc = runner.run("ingest", str(drop), check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    (runner.out / "ingest.txt").write_text((proc.stdout or "") + (proc.stderr or ""), encoding="utf-8")
    info.update(ingest_exit=proc.returncode, ingest_wall_s=round(time.monotonic() - t0, 1),
                ingest_cpu_s=round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1))
    runner.export()
    return info


def replay_run(corpus: Corpus, runner: Runner, source: Path, settings: dict[str, str]) -> dict[str, Any]:
    """Re-run entities → split → match → file from ``source``'s stored page texts into a fresh home."""
    from benchmarks.eval_replay import replay

    info: dict[str, Any] = {"import": runner.setup(corpus), "replayed_from": str(source)}
    t0 = time.process_time()
    info.update(replay(source, runner.home, set(corpus.files), settings))
    info["replay_cpu_s"] = round(time.process_time() - t0, 1)
    runner.export()
    return info


# ---------------------------------------------------------------------- scoring
def score(scorer: Path, corpus_dir: Path, out: Path) -> str:
    """Run the corpus scorer; write score.txt / score-verbose.txt / metrics.json; return the table."""
    base = [sys.executable, str(scorer), str(corpus_dir), str(out / "docs.jsonl"), str(out / "intake.jsonl")]
    plain = subprocess.run(base, capture_output=True, text=True)
    verbose = subprocess.run(base + ["-v", "--json", str(out / "metrics.json")], capture_output=True, text=True)
    if plain.returncode != 0:
        raise SystemExit(f"scorer failed: {plain.stderr.strip()[-2000:]}")
    (out / "score.txt").write_text(plain.stdout, encoding="utf-8")
    (out / "score-verbose.txt").write_text(verbose.stdout, encoding="utf-8")
    return plain.stdout


def table(text: str) -> dict[str, tuple[float, float]]:
    """The scorer's table as label -> (count, total); words-missing lines as kind -> (share, chars)."""
    rows: dict[str, tuple[float, float]] = {}
    for line in text.splitlines():
        w = _WORDS.match(line)
        m = _ROW.match(line)
        if w:
            rows["words missing " + w.group(1)] = (float(w.group(3)), float(w.group(4)))
        elif m:
            label = m.group(1).strip()
            while label in rows:  # "no service document covers it" appears once per section
                label += " (again)"
            rows[label] = (float(m.group(2)), float(m.group(3)))
        elif "truth words missing" in line:
            rows["words missing (all)"] = (float(line.split()[-1]), 1.0)
    return rows


def compare(old_text: str, new_text: str) -> str:
    """Side-by-side of two score tables (rows present in both)."""
    old, new = table(old_text), table(new_text)
    lines = [f"{'':62} {'before':>14} {'after':>14}"]
    for label, (n, d) in new.items():
        if label not in old:
            continue
        o = old[label]
        if label.startswith("words missing"):
            lines.append(f"{label:62} {o[0]:14.3f} {n:14.3f}")
        else:
            lines.append(f"{label:62} {_frac(*o):>14} {_frac(n, d):>14}")
    return "\n".join(lines)


def _frac(n: float, d: float) -> str:
    return f"{int(n)}/{int(d)} {100 * n / d:5.1f}%" if d else f"{int(n)}/0"


def git_state() -> str:
    try:
        rev = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return rev + ("+dirty" if dirty else "")


# ---------------------------------------------------------------------- main
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.eval", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", type=Path, help="corpus folder with inbox/, roster.csv, truth.jsonl")
    ap.add_argument("--replay", type=Path, metavar="HOME", help="re-run after OCR from a finished home")
    ap.add_argument("--files", metavar="PATTERN", help="only inbox files matching (comma-separated, or @list)")
    ap.add_argument("--out", type=Path, help="output folder (default: a new folder under the temp dir)")
    ap.add_argument("--home", type=Path, help="data home to create (default: a new temp folder; kept)")
    ap.add_argument("--scorer", type=Path, help="score.py (default: the corpus folder's parent's score.py)")
    ap.add_argument("--set", dest="settings", action="append", default=[], metavar="SECTION.KEY=VALUE")
    ap.add_argument("--baseline", type=Path, metavar="SCORE_TXT_OR_DIR",
                    help="print before/after against an earlier score.txt (or its folder)")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    corpus_path = a.corpus.resolve()
    corpus = Corpus.load(corpus_path, a.files)
    if not corpus.files:
        raise SystemExit("no inbox file matches --files")
    scorer = (a.scorer or corpus_path.parent / "score.py").resolve()
    if not scorer.exists():
        raise SystemExit(f"scorer not found: {scorer} (give --scorer)")
    out = (a.out or Path(tempfile.mkdtemp(prefix=f"chartfile-eval-{corpus_path.name}-"))).resolve()
    out.mkdir(parents=True, exist_ok=True)
    home = (a.home or Path(tempfile.mkdtemp(prefix="chartfile-evalhome-"))).resolve()
    if home.exists() and any(home.iterdir()):
        raise SystemExit(f"{home} is not empty: the evaluation needs a fresh data home")
    env = settings_env(a.settings)
    runner = Runner(home, out, env)
    t0 = time.monotonic()
    if a.replay:
        info = replay_run(corpus, runner, a.replay.resolve(), env)
    else:
        info = full_run(corpus, runner)
    info.update(mode="replay" if a.replay else "full", corpus=str(corpus_path), files=len(corpus.files),
                settings=a.settings, commit=git_state(), home=str(home), wall_s=round(time.monotonic() - t0, 1))
    text = score(scorer, corpus.scoring_dir(out), out)
    (out / "run.json").write_text(json.dumps(info, indent=1), encoding="utf-8")
    print(text.rstrip())
    if a.baseline:
        base = a.baseline / "score.txt" if a.baseline.is_dir() else a.baseline
        print("\n" + compare(base.read_text(encoding="utf-8"), text))
    print(f"\nimport: {info['import'].splitlines()[-1] if info['import'] else ''}")
    cost = (f"ingest {info['ingest_wall_s']} s wall, {info['ingest_cpu_s']} CPU-s" if "ingest_wall_s" in info
            else f"replay {info['replay_cpu_s']} CPU-s")
    print(f"{info['mode']} run of {info['files']} files at {info['commit']}: {cost}")
    print(f"output: {out}\nhome: {home}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
