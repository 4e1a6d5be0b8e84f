"""The pure parts of ``python -m benchmarks.ocr_lab``: variants, the words-missing formula, sampling,
saved runs and ``--compare``, and its usage errors.  Synthetic corpora only; OCR is never run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from benchmarks import ocr_lab
from intake.config import Config
from intake.ocr import DEFAULT_OPTIONS


def _record(name: str, kind: str, pages: int, *, dpi: list[int] | None = None, expect: str = "file",
            blank: tuple[int, ...] = ()) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "file": name, "kind": kind, "pages": pages, "expect": expect,
        "text": {str(p): "" if p in blank else f"{name} page {p} words words" for p in range(1, pages + 1)},
        "page_info": {str(p): {"blank": p in blank} for p in range(1, pages + 1)},
    }
    if dpi:
        rec["dpi"] = dpi
    return rec


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """truth.jsonl + an empty inbox/: 6 fine-fax pages (one blank), 3 standard, 4 png, and files never sampled."""
    root = tmp_path / "corpus"
    (root / "inbox").mkdir(parents=True)
    records = [
        _record("fine_a.tif", "tiff", 4, dpi=[204, 196], blank=(2,)),
        _record("fine_b.tif", "tiff", 3, dpi=[204, 196]),
        _record("std.tif", "tiff", 3, dpi=[204, 98]),
        _record("scan.png", "png", 1), _record("scan2.png", "png", 3),
        _record("text.pdf", "pdf_text", 2),
        _record("broken.pdf", "bad", 1, expect="quarantine"),
        _record("again.png", "png", 1, expect="duplicate"),
    ]
    (root / "truth.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return root


def _truth(root: Path) -> dict[str, dict[str, Any]]:
    return ocr_lab.load_truth(root)


def _usage_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as exited:
        ocr_lab.main(list(argv))
    assert exited.value.code == 2
    return capsys.readouterr().err


# ---------------------------------------------------------------------- variants
def test_base_is_the_built_in_defaults_whatever_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHARTFILE_OCR__PSM", "11")
    base = ocr_lab.parse_variant("base")
    assert base.name == "base" and base.cfg.ocr == Config().ocr and base.cfg.intake == Config().intake
    assert base.options == DEFAULT_OPTIONS


def test_a_variant_sets_config_settings_and_ocr_options() -> None:
    v = ocr_lab.parse_variant("mix:ocr.psm=6, ocr.two_level_dpi=0,option.despeckle=false,option.fax_dpi=204,"
                              "option.resample=none,option.min_deskew=2,intake.quiet_by_format.tiff=5")
    assert v.name == "mix"
    assert v.cfg.ocr.psm == 6 and v.cfg.ocr.two_level_dpi == 0 and v.cfg.intake.quiet_by_format.tiff == 5.0
    assert v.options == DEFAULT_OPTIONS.with_(despeckle=False, fax_dpi=204, resample=None, min_deskew=2.0)
    assert v.cfg.ocr.target_dpi == Config().ocr.target_dpi  # everything else stays at the default


def test_variants_put_base_first_and_want_unique_names() -> None:
    assert [v.name for v in ocr_lab.variants(["a:ocr.psm=6", "b"], True)] == ["base", "a", "b"]
    assert [v.name for v in ocr_lab.variants(["a:ocr.psm=6"], False)] == ["a"]
    with pytest.raises(ocr_lab.LabError, match="must differ"):
        ocr_lab.variants(["base:ocr.psm=6"], True)
    with pytest.raises(ocr_lab.LabError, match="nothing to run"):
        ocr_lab.variants([], False)


@pytest.mark.parametrize(("spec", "message"), [
    ("x:ocr.psmx=3", "--variant x: unknown setting ocr.psmx"),
    ("x:ocr.psm=abc", "--variant x: bad value for ocr.psm"),
    ("x:ocr.resample=foo", "ocr.resample must be one of"),
    ("x:option.despekle=0", "--variant x: unknown setting option.despekle"),
    ("x:option.despeckle=maybe", "bad value for option.despeckle"),
    ("x:option.psm=six", "bad value for option.psm"),
    ("x:option.resample=foo", "option.resample must be one of"),
    ("x:psm=6", "'psm=6' is not SECTION.KEY=VALUE"),
    ("x:ocr.psm", "is not SECTION.KEY=VALUE"),
    ("../x:ocr.psm=6", "--variant wants NAME:"),
    (":ocr.psm=6", "--variant wants NAME:"),
])
def test_bad_variants_are_named(spec: str, message: str) -> None:
    with pytest.raises(ocr_lab.LabError) as raised:
        ocr_lab.parse_variant(spec)
    assert message in str(raised.value)


# ---------------------------------------------------------------------- words missing
@pytest.mark.parametrize(("truth", "text", "expected"), [
    ("a b b c", "b a x", (2, 4)),  # one 'b' and the 'c' are missing; extra words cost nothing
    ("a b c", "c b a", (0, 3)),  # order-free
    ("a  b\nc", "a b c", (0, 3)),  # any whitespace splits
    ("Patient: Smith", "patient: Smith", (1, 2)),  # case and punctuation count, as in score.py
    ("a b", "", (2, 2)),
    ("", "a", (0, 0)),
])
def test_words_missing_is_the_scorers_formula(truth: str, text: str, expected: tuple[int, int]) -> None:
    assert ocr_lab.words_missing(truth, text) == expected


# ---------------------------------------------------------------------- pages
def test_raster_pages_skip_blank_text_layer_bad_and_duplicate_files(corpus: Path) -> None:
    found = ocr_lab.raster_pages(_truth(corpus))
    assert list(found) == ["tiff_98", "tiff_196", "png"]  # the preferred order, kinds the corpus has
    assert found["tiff_196"] == [("fine_a.tif", 1), ("fine_a.tif", 3), ("fine_a.tif", 4),
                                 ("fine_b.tif", 1), ("fine_b.tif", 2), ("fine_b.tif", 3)]
    assert found["png"] == [("scan.png", 1), ("scan2.png", 1), ("scan2.png", 2), ("scan2.png", 3)]


def test_sampling_is_seeded_and_takes_n_per_kind_in_the_order_given(corpus: Path) -> None:
    truth = _truth(corpus)
    first = ocr_lab.sample(truth, 2, 7, ["tiff_196", "png"])
    assert first == ocr_lab.sample(truth, 2, 7, ["tiff_196", "png"])
    assert [ocr_lab.kind_of(truth[f]) for f, _ in first] == ["tiff_196", "tiff_196", "png", "png"]
    assert len(set(first)) == 4 and ("fine_a.tif", 2) not in first
    seeds = {tuple(ocr_lab.sample(truth, 2, seed, ["tiff_196"])) for seed in range(20)}
    assert len(seeds) > 1  # the seed matters
    assert len(ocr_lab.sample(truth, 50, 1, ["tiff_98"])) == 3  # n larger than the kind: all of it
    with pytest.raises(ocr_lab.LabError, match="unknown kind 'pdf_text'; this corpus has: tiff_98, tiff_196, png"):
        ocr_lab.sample(truth, 2, 1, ["pdf_text"])


def test_listed_pages_read_lines_or_a_saved_run(corpus: Path, tmp_path: Path) -> None:
    truth = _truth(corpus)
    listing = tmp_path / "pages.txt"
    listing.write_text("# chosen by hand\nstd.tif:2\n\nscan.png:1\n", encoding="utf-8")
    assert ocr_lab.listed_pages(listing, truth) == [("std.tif", 2), ("scan.png", 1)]
    saved = tmp_path / "run.json"
    saved.write_text(json.dumps({"std.tif:3": [0, 5, 1.0]}), encoding="utf-8")
    assert ocr_lab.listed_pages(saved, truth) == [("std.tif", 3)]
    for bad in ("std.tif:4", "std.tif", "nope.tif:1"):
        listing.write_text(bad + "\n", encoding="utf-8")
        with pytest.raises(ocr_lab.LabError, match="is not FILE:PAGE"):
            ocr_lab.listed_pages(listing, truth)


# ---------------------------------------------------------------------- running (OCR stubbed) and saving
def test_a_run_reads_every_page_with_every_variant_and_saves_it(corpus: Path, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    truth = _truth(corpus)
    seen: list[tuple[str, int]] = []

    def fake_decode(inbox: Path, name: str, number: int, cfg: Config, cache: Path | None) -> ocr_lab.Decoded:
        assert inbox == corpus.resolve() / "inbox" and name == "std.tif" and cache is None
        return Image.new("L", (8, 8), 255), None

    def fake_ocr(image: Image.Image, number: int, cfg: Config, dpi: Any, options: Any) -> Any:
        seen.append((f"psm{cfg.ocr.psm}", number))  # psm 6 reads only "words words" of "std.tif page N words words"
        return type("PageText", (), {"text": truth["std.tif"]["text"][str(number)] if cfg.ocr.psm != 6
                                     else "words words"})()

    monkeypatch.setattr(ocr_lab, "decode", fake_decode)
    monkeypatch.setattr(ocr_lab, "ocr_image", fake_ocr)
    monkeypatch.setattr(ocr_lab, "warm_up", lambda chosen: None)
    out = tmp_path / "runs"
    assert ocr_lab.main([str(corpus), "--n", "1", "--kinds", "tiff_98", "--variant", "psm6:ocr.psm=6",
                         "--save", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(seen) == 2 and {s[0] for s in seen} == {"psm4", "psm6"}
    assert lines[0].startswith("base ") and "all:0.000 tiff_98:0.000" in lines[0] and lines[0].endswith("(n=1)")
    assert lines[1].startswith("psm6 ") and "all:0.600 tiff_98:0.600" in lines[1]  # 3 of 5 truth words
    saved = {p.name: json.loads(p.read_text()) for p in out.iterdir()}
    assert set(saved) == {"base.json", "psm6.json"}
    (key, row), = saved["psm6.json"].items()
    assert key.startswith("std.tif:") and row[:2] == [3, 5] and row[2] >= 0


# ---------------------------------------------------------------------- --compare
def test_compare_pairs_pages_per_kind(corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = {"std.tif:1": [2, 10, 1.0], "std.tif:2": [0, 10, 1.0], "scan.png:1": [5, 10, 2.0], "scan2.png:1": [1, 4, 9]}
    b = {"std.tif:1": [1, 10, 1.5], "std.tif:2": [1, 10, 1.5], "scan.png:1": [5, 10, 3.0]}
    paths = []
    for name, run in (("old", a), ("new", b)):
        paths.append(tmp_path / f"{name}.json")
        paths[-1].write_text(json.dumps(run), encoding="utf-8")
    assert ocr_lab.main([str(corpus), "--compare", *map(str, paths)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "A = old, B = new"
    rows = {line.split()[0]: line.split()[1:] for line in out[2:-1]}
    assert rows["tiff_98"] == ["2", "0.100", "0.100", "+0.000", "1/1", "1.00s", "1.50s"]
    assert rows["png"] == ["1", "0.500", "0.500", "+0.000", "0/0", "2.00s", "3.00s"]
    assert rows["all"] == ["3", "0.233", "0.233", "+0.000", "1/1", "1.33s", "2.00s"]
    assert out[-1] == "(1 pages read by only one run left out)"


def test_compare_refuses_what_is_not_a_saved_run_of_this_corpus(corpus: Path, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    good, bad, other = tmp_path / "good.json", tmp_path / "bad.json", tmp_path / "other.json"
    good.write_text(json.dumps({"std.tif:1": [0, 1, 0.5]}), encoding="utf-8")
    bad.write_text("[1, 2]", encoding="utf-8")
    other.write_text(json.dumps({"elsewhere.tif:1": [0, 1, 0.5]}), encoding="utf-8")
    assert "not a run saved by --save" in _usage_error(capsys, str(corpus), "--compare", str(good), str(bad))
    assert "is not a page of this corpus" in _usage_error(capsys, str(corpus), "--compare", str(good), str(other))
    assert "not a run saved" in _usage_error(capsys, str(corpus), "--compare", str(good), str(tmp_path / "no.json"))


# ---------------------------------------------------------------------- usage errors
def test_bad_arguments_exit_2_with_a_reason(corpus: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    c = str(corpus)
    assert "is not an evaluation corpus" in _usage_error(capsys, str(tmp_path / "missing"))
    (tmp_path / "no-truth" / "inbox").mkdir(parents=True)
    assert "needs truth.jsonl and inbox/" in _usage_error(capsys, str(tmp_path / "no-truth"))
    assert "unknown kind 'tiff_300'" in _usage_error(capsys, c, "--kinds", "tiff_196,tiff_300")
    assert "unknown setting ocr.nope" in _usage_error(capsys, c, "--variant", "x:ocr.nope=1")
    assert "must differ" in _usage_error(capsys, c, "--variant", "base:ocr.psm=6")
    assert "--n must be at least 1" in _usage_error(capsys, c, "--n", "0")
    assert "inside the corpus" in _usage_error(capsys, c, "--save", str(corpus / "runs"))
    assert "inside the corpus" in _usage_error(capsys, c, "--cache", str(corpus / "inbox" / "cache"))
    assert "cannot read --pages" in _usage_error(capsys, c, "--pages", str(tmp_path / "none.txt"))
    assert not (corpus / "runs").exists() and not (corpus / "inbox" / "cache").exists()
