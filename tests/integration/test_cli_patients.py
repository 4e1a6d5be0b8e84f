"""CLI contract: init, patients import (line-numbered errors, update by MRN), exit codes."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import CliResult

HEADER = "mrn,family_name,given_name,middle_name,dob,sex,phone,address,city,state,postal_code\n"


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def test_init_creates_home(chartfile, home: Path) -> None:  # type: ignore[no-untyped-def]
    r: CliResult = chartfile("init")
    assert r.code == 0, r.err
    for sub in ("spool", "archive", "quarantine", "index"):
        assert (home / sub).is_dir()
    assert (home / "chartfile.db").exists()
    assert chartfile("init").code == 0  # idempotent


def test_import_reports_bad_rows_by_line_and_keeps_good(chartfile, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    csv = write_csv(tmp_path / "p.csv", [
        "CF100001,Garcia,Maria,L,1961-03-04,F,(555) 201-3344,12 Oak St,Springfield,IL,62701",
        "CF100002,Smith,John,,1975-13-30,M,,,,,",
        ",NoMrn,Person,,1980-01-01,F,,,,,",
        "CF100003,Nguyen,Anh,,1990-07-15,X,,,,,",
        "CF100001,Garcia,Maria,,1961-03-04,F,,,,,",
    ])
    r = chartfile("patients", "import", str(csv))
    assert r.code == 3
    assert "line 3:" in r.err and "1975-13-30" in r.err
    assert "line 4:" in r.err and "missing mrn" in r.err
    assert "line 6:" in r.err and "already appears on line 2" in r.err
    assert "2 created" in r.out
    show = chartfile("patients", "show", "CF100003", "--json")
    assert show.code == 0 and '"CF100003"' in show.out


def test_reimport_updates_by_mrn(chartfile, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = write_csv(tmp_path / "a.csv", ["CF100001,Garcia,Maria,,1961-03-04,F,,,,,"])
    assert chartfile("patients", "import", str(first)).code == 0
    second = write_csv(tmp_path / "b.csv", ["CF100001,Garcia-Lopez,Maria,,1961-03-04,F,,,,,"])
    r = chartfile("patients", "import", str(second))
    assert r.code == 0 and "0 created, 1 updated" in r.out
    assert "Garcia-Lopez" in chartfile("patients", "show", "CF100001").out


def test_bad_header_is_an_input_error(chartfile, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name\n1,x\n")
    r = chartfile("patients", "import", str(bad))
    assert r.code == 3 and "header lacks" in r.err and "Hint:" in r.err


def test_exit_codes(chartfile, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert chartfile("no-such-command").code == 2
    assert chartfile("patients", "show", "CF999999").code == 4
    assert chartfile("ingest", str(tmp_path / "missing.pdf")).code == 3
    assert chartfile("intake", "retry", "12345").code == 4
    assert chartfile("--help").code == 0


def test_import_learns_the_mrn_format_from_the_roster(chartfile, tmp_path: Path, home: Path) -> None:  # type: ignore[no-untyped-def]
    plain = write_csv(tmp_path / "eight.csv", [f"{10000000 + 7919 * i},Fam{i},Giv{i},,1960-01-01,F,,,,,"
                                              for i in range(40)])
    r = chartfile("patients", "import", str(plain))
    assert r.code == 0 and "MRN format learned from 40 roster MRNs: 8 digits, no check digit" in r.out
    prefixed = write_csv(tmp_path / "cf.csv", [f"CF{100000 + i},Fam{i},Giv{i},,1960-01-01,F,,,,,"
                                              for i in range(40)])
    other = home.parent / "other-home"
    assert chartfile("--home", str(other), "init").code == 0
    r = chartfile("--home", str(other), "patients", "import", str(prefixed))
    assert r.code == 0 and "prefix 'CF' + 6 digits" in r.out
    (home / "chartfile.toml").write_text('[extract]\nmrn_pattern = "\\\\d{8}"\n', encoding="utf-8")
    r = chartfile("patients", "import", str(plain))
    assert "the setting extract.mrn_pattern = '\\\\d{8}' overrides it" in r.out
