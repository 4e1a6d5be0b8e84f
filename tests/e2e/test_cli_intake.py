"""``chartfile intake list / retry / check`` for clerks, through the real CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import CliResult
from tests.e2e.helpers import text_pdf_bytes


def test_list_retry_and_check(chartfile: Callable[..., CliResult], home: Path, tmp_path: Path) -> None:
    (home / "chartfile.toml").write_text("[intake]\nmax_pages = 0\n\n[ocr]\nworkers = 1\n", encoding="utf-8")
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "portal.pdf").write_bytes(b"<html>expired</html>")
    (drop / "-rf long letter.pdf").write_bytes(text_pdf_bytes(1))
    assert chartfile("ingest", str(drop)).code == 0

    out = chartfile("intake", "list")
    assert out.code == 0, out.err
    assert "quarantined" in out.out and "portal.pdf" in out.out and "named like a PDF" in out.out
    assert "-rf long letter.pdf" in out.out and "pages; the limit is 0" in out.out

    q = json.loads(chartfile("intake", "list", "--state", "quarantined", "--json").out)
    assert sorted(r["source"] for r in q) == ["-rf long letter.pdf", "portal.pdf"]
    assert all(r["state"] == "quarantined" and r["reason"] for r in q)
    assert chartfile("intake", "list", "--state", "processed").out.startswith("No intake items in state processed")

    letter = next(r for r in q if r["source"] == "-rf long letter.pdf")
    (home / "chartfile.toml").write_text("[ocr]\nworkers = 1\n", encoding="utf-8")  # the cause is fixed
    r = chartfile("intake", "retry", str(letter["intake_id"]))
    assert r.code == 0 and "queued again" in r.out
    assert not list((home / "quarantine").glob(f"{letter['intake_id']:08d}-*"))
    assert [x["state"] for x in json.loads(chartfile("intake", "list", "--state", "received", "--json").out)] \
        == ["received"]
    assert chartfile("intake", "retry", str(letter["intake_id"])).code == 6  # not quarantined any more
    assert chartfile("intake", "retry", "999").code == 4

    empty = tmp_path / "nothing"
    empty.mkdir()
    assert chartfile("ingest", str(empty)).code == 0  # resumes the re-queued item
    rows = {x["source"]: x for x in chartfile("intake", "export").json_lines()}
    assert rows["-rf long letter.pdf"]["status"] == "processed" and rows["-rf long letter.pdf"]["documents"]

    checked = chartfile("intake", "check", "--json")
    assert checked.code == 0, checked.out
    assert json.loads(checked.out)["ok"] is True
    (home / "quarantine" / f"{rows['portal.pdf']['intake_id']:08d}-portal.pdf").unlink()  # lost by hand
    broken = chartfile("intake", "check")
    assert broken.code == 7 and "file missing" in broken.out
