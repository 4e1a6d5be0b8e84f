"""The audit cost benchmark runs end to end and reports per-event medians for both switch states."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import audit as benchmark
from tests.integration.test_audit_helpers import events


def test_benchmark_reports_costs_and_leaves_a_valid_trail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "bench"
    benchmark.main(["--n", "20", "--preload", "30", "--home", str(home), "--json"])
    report = json.loads(capsys.readouterr().out)
    for name in ("record() in a transaction", "search audit (own txn)"):
        scenario = report["scenarios"][name]
        for state in ("audit_on", "audit_off"):
            assert scenario[state]["median_us"] > 0 and scenario[state]["p95_us"] >= scenario[state]["median_us"]
    types = [e["event_type"] for e in events(home)]
    assert types.count("audit.stop") == 2 and types.count("audit.start") == 2
    # while off, nothing but the switch events was recorded: 30 preload + (200 warm-up capped to n=20 + 20) x 2
    assert len(types) == 30 + (20 + 20) * 2 + 4
    assert report["verify"]["events"] == len(types)


def test_table_rendering() -> None:
    text = benchmark.render({"n": 1, "preloaded": 0, "database": "sqlite", "verify": {"events": 3, "us_per_event": 9.0},
                             "scenarios": {"x": {"audit_on": {"median_us": 10.0, "p95_us": 12.0},
                                                 "audit_off": {"median_us": 4.0, "p95_us": 5.0}}}})
    assert "6.0µs" in text and "verify: 3 events" in text
