"""Smoke run of ``python -m benchmarks.search`` at a tiny size: it builds, indexes, queries and reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import search as benchmark


def test_benchmark_smoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "figures.json"
    benchmark.main(["--docs", "150", "--per-kind", "2", "--commits", "2", "--home", str(tmp_path / "home"),
                    "--json", str(out)])
    printed = capsys.readouterr().out
    report = json.loads(out.read_text())
    assert report["docs"] == 150 and report["pages"] >= 150 and report["docs_per_s"] > 0
    assert set(report["queries"]) == set(benchmark.QueryMix.KINDS)
    for kind in ("patient", "mrn", "dob", "type", "text_common"):
        assert report["queries"][kind]["mean_hits"] > 0, kind
    assert report["commit_ms"]["p50"] > 0 and report["peak_rss_mb"] > 0
    assert "p95 ms" in printed and "index rebuild" in printed and "peak RSS" in printed
    again = benchmark.main(["--docs", "150", "--per-kind", "1", "--commits", "1", "--home", str(tmp_path / "home"),
                            "--reuse"])
    assert again in (0, 1) and "index rebuild" not in capsys.readouterr().out


def test_synthetic_documents_are_fax_sized_and_carry_their_patient() -> None:
    roster = benchmark._roster(60, 3)
    docs = benchmark.synth_docs(120, roster, 3)
    assert all(1 <= len(d.pages) <= 6 for d in docs)
    assert 1.5 < sum(len(d.pages) for d in docs) / len(docs) < 4
    filed = [d for d in docs if d.patient is not None]
    assert filed and sum(roster[d.patient or 0]["mrn"] in "".join(d.pages) for d in filed) > len(filed) // 4
