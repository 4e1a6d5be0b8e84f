"""Synthetic patient roster with labelled hard cases.

This module owns the roster: :func:`build_roster` makes ``count`` fictional
patients deterministically from ``seed`` and records the *hard-case groups*
(twins, same name with different DOB, hyphenated names, apostrophes,
diacritics, suffixes, nickname users, maiden names, households) that matching
benchmarks need.  :func:`write_roster_csv` writes the office's roster CSV
format; :func:`write_hard_cases_json` writes the groups beside it.

Conventions:

* MRN is ``CF`` + 6 digits (``CF\\d{6}``), unique within a roster.
* A generational suffix is kept in ``family_name`` (``"Smith Jr"``), as many
  practice-management exports do; the ``suffix`` group records it.
* ``dob`` is ISO ``YYYY-MM-DD``; ``sex`` is ``F`` or ``M``; phones use the
  fictional 555 area code.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from samples import _data

ROSTER_FIELDS: tuple[str, ...] = (
    "mrn", "family_name", "given_name", "middle_name", "dob", "sex",
    "phone", "address", "city", "state", "postal_code",
)
MRN_PATTERN = r"CF\d{6}"
REFERENCE_DATE = dt.date(2026, 11, 20)  # "today" for ages and document dates

# Share of roster rows that belong to each deliberately created hard case.
HARD_CASE_RATES: dict[str, float] = {
    "twins": 0.02,
    "same_name_diff_dob": 0.03,
    "suffix": 0.02,
    "hyphenated": 0.02,
    "apostrophe": 0.015,
    "diacritics": 0.03,
    "nickname": 0.08,
    "maiden_name": 0.03,
    "household": 0.08,
}

Row = dict[str, str]


@dataclass
class HardCase:
    """A group of roster rows that makes matching hard, and why."""

    kind: str
    mrns: list[str]
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Roster:
    """Rows in CSV shape plus the hard-case groups that describe them."""

    rows: list[Row]
    groups: list[HardCase]

    def by_mrn(self) -> dict[str, Row]:
        """Rows keyed by MRN."""
        return {r["mrn"]: r for r in self.rows}

    def extras(self, mrn: str) -> dict[str, str]:
        """Alternate names for one patient: ``nickname`` and/or ``maiden_name``."""
        out: dict[str, str] = {}
        for g in self.groups:
            if mrn in g.mrns and g.kind == "nickname":
                out["nickname"] = str(g.extra["nickname"])
            if mrn in g.mrns and g.kind == "maiden_name":
                out["maiden_name"] = str(g.extra["maiden_name"])
        return out

    def groups_of(self, kind: str) -> list[HardCase]:
        """All groups of one kind."""
        return [g for g in self.groups if g.kind == kind]


# --------------------------------------------------------------------------
# small generators
# --------------------------------------------------------------------------
def _pick_family(rng: random.Random) -> str:
    if rng.random() < 0.45:
        # Zipf-like weights: Smith far more often than Lewis.
        weights = [1.0 / (i + 1) ** 0.8 for i in range(len(_data.COMMON_FAMILY))]
        return rng.choices(_data.COMMON_FAMILY, weights=weights)[0]
    return rng.choice(_data.OTHER_FAMILY)


def _pick_given(rng: random.Random, sex: str, exclude: set[str] | None = None) -> str:
    pool = _data.GIVEN_F if sex == "F" else _data.GIVEN_M
    choices = [g for g in pool if not exclude or g not in exclude]
    return rng.choice(choices)


def _pick_middle(rng: random.Random, sex: str) -> str:
    r = rng.random()
    if r < 0.30:
        return ""
    if r < 0.45:
        return rng.choice("ABCDEFGHJKLMNPRSTW")  # initial only
    return _pick_given(rng, sex)


def _pick_sex(rng: random.Random) -> str:
    return "F" if rng.random() < 0.52 else "M"


def _pick_dob(rng: random.Random, min_age: int = 0, max_age: int = 96) -> dt.date:
    buckets = [(0, 17, 0.20), (18, 39, 0.25), (40, 64, 0.33), (65, 96, 0.22)]
    usable = [(max(lo, min_age), min(hi, max_age), w) for lo, hi, w in buckets
              if hi >= min_age and lo <= max_age]
    lo, hi, _ = rng.choices(usable, weights=[w for *_, w in usable])[0]
    age_days = rng.randint(lo * 365 + 1, hi * 365 + 364)
    return REFERENCE_DATE - dt.timedelta(days=age_days)


def _pick_phone(rng: random.Random) -> str:
    return f"(555) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"


def _pick_address(rng: random.Random) -> tuple[str, str, str, str]:
    street = f"{rng.randint(10, 9899)} {rng.choice(_data.STREET_NAMES)} {rng.choice(_data.STREET_TYPES)}"
    if rng.random() < 0.15:
        unit = rng.choice(_data.UNIT_TYPES)
        number = f"{rng.randint(1, 40)}{rng.choice(['', '', 'A', 'B'])}"
        street += f" {unit} {number}" if unit != "#" else f" #{number}"
    towns = _data.LOCAL_TOWNS if rng.random() < 0.88 else _data.FAR_TOWNS
    city, state, postal = rng.choice(towns)
    return street, city, state, postal


def _person(rng: random.Random, **fixed: str) -> Row:
    """One ordinary person; ``fixed`` overrides any field."""
    sex = fixed.get("sex") or _pick_sex(rng)
    street, city, state, postal = _pick_address(rng)
    row: Row = {
        "mrn": "",
        "family_name": _pick_family(rng),
        "given_name": _pick_given(rng, sex),
        "middle_name": _pick_middle(rng, sex),
        "dob": _pick_dob(rng).isoformat(),
        "sex": sex,
        "phone": _pick_phone(rng),
        "address": street,
        "city": city,
        "state": state,
        "postal_code": postal,
    }
    row.update(fixed)
    return row


def _same_home(src: Row) -> dict[str, str]:
    return {k: src[k] for k in ("phone", "address", "city", "state", "postal_code")}


# --------------------------------------------------------------------------
# hard-case builders: each returns (rows, group-specs with row indexes)
# --------------------------------------------------------------------------
Built = tuple[list[Row], list[tuple[str, list[int], str, dict[str, Any]]]]


def _twins(rng: random.Random) -> Built:
    a = _person(rng, dob=_pick_dob(rng, 0, 70).isoformat())
    sex_b = a["sex"] if rng.random() < 0.6 else ("M" if a["sex"] == "F" else "F")
    b = _person(rng, sex=sex_b, family_name=a["family_name"], dob=a["dob"],
                given_name=_pick_given(rng, sex_b, {a["given_name"]}), **_same_home(a))
    return [a, b], [("twins", [0, 1], "same family name, DOB and address", {})]


def _same_name(rng: random.Random) -> Built:
    a = _person(rng, family_name=rng.choice(_data.COMMON_FAMILY[:12]))
    b = _person(rng, sex=a["sex"], family_name=a["family_name"], given_name=a["given_name"])
    if rng.random() < 0.4:
        b["middle_name"] = a["middle_name"]
    return [a, b], [("same_name_diff_dob", [0, 1], "same given and family name", {})]


def _suffix(rng: random.Random) -> Built:
    fam = _pick_family(rng)
    if rng.random() < 0.6:  # father and son under one roof
        father = _person(rng, sex="M", family_name=f"{fam} Sr", dob=_pick_dob(rng, 45, 90).isoformat())
        born = dt.date.fromisoformat(father["dob"]) + dt.timedelta(days=rng.randint(22 * 365, 38 * 365))
        son = _person(rng, sex="M", family_name=f"{fam} Jr", given_name=father["given_name"],
                      middle_name=father["middle_name"], dob=min(born, REFERENCE_DATE).isoformat(),
                      **_same_home(father))
        return [father, son], [
            ("suffix", [0, 1], "Sr/Jr pair at one address", {"suffixes": ["Sr", "Jr"]}),
            ("same_name_diff_dob", [0, 1], "father and son, same given name", {}),
        ]
    sfx = rng.choice(("Jr", "II", "III", "IV"))
    p = _person(rng, sex="M", family_name=f"{fam} {sfx}")
    return [p], [("suffix", [0], f"suffix {sfx} stored in family_name", {"suffixes": [sfx]})]


def _hyphenated(rng: random.Random) -> Built:
    a, b = rng.choice(_data.HYPHEN_PARTS)
    p = _person(rng, family_name=f"{a}-{b}")
    return [p], [("hyphenated", [0], "hyphenated family name", {"parts": [a, b]})]


def _apostrophe(rng: random.Random) -> Built:
    p = _person(rng, family_name=rng.choice(_data.APOSTROPHE_FAMILY))
    return [p], [("apostrophe", [0], "apostrophe in family name", {})]


def _diacritics(rng: random.Random) -> Built:
    sex = _pick_sex(rng)
    given_pool = _data.DIACRITIC_GIVEN_F if sex == "F" else _data.DIACRITIC_GIVEN_M
    fixed: dict[str, str] = {"sex": sex}
    r = rng.random()
    if r < 0.4:
        fixed["given_name"] = rng.choice(given_pool)
        fixed["family_name"] = rng.choice(_data.DIACRITIC_FAMILY)
    elif r < 0.7:
        fixed["given_name"] = rng.choice(given_pool)
    else:
        fixed["family_name"] = rng.choice(_data.DIACRITIC_FAMILY)
    p = _person(rng, **fixed)
    return [p], [("diacritics", [0], "non-ASCII letters in the name", {})]


def _nickname(rng: random.Random) -> Built:
    given = rng.choice(sorted(_data.NICKNAMES))
    female = {"Elizabeth", "Margaret", "Patricia", "Katherine", "Jennifer", "Deborah",
              "Susan", "Rebecca", "Dorothy", "Victoria"}
    sex = "F" if given in female else "M"
    p = _person(rng, sex=sex, given_name=given)
    nick = rng.choice(_data.NICKNAMES[given])
    return [p], [("nickname", [0], f"goes by {nick}", {"nickname": nick})]


def _maiden(rng: random.Random) -> Built:
    maiden = _pick_family(rng)
    p = _person(rng, sex="F", dob=_pick_dob(rng, 22, 90).isoformat())
    while p["family_name"] == maiden:
        p["family_name"] = _pick_family(rng)
    if rng.random() < 0.35:
        p["middle_name"] = maiden  # kept the maiden name as a middle name
    return [p], [("maiden_name", [0], f"previously {maiden}", {"maiden_name": maiden})]


def _household(rng: random.Random) -> Built:
    adult = _person(rng, dob=_pick_dob(rng, 25, 80).isoformat())
    rows = [adult]
    n = rng.randint(1, 3)
    for _ in range(n):
        rows.append(_person(rng, family_name=adult["family_name"], **_same_home(adult)))
    return rows, [("household", list(range(len(rows))), "shared address and phone", {})]


_BUILDERS = {
    "twins": (_twins, 2),
    "same_name_diff_dob": (_same_name, 2),
    "suffix": (_suffix, 2),
    "hyphenated": (_hyphenated, 1),
    "apostrophe": (_apostrophe, 1),
    "diacritics": (_diacritics, 1),
    "nickname": (_nickname, 1),
    "maiden_name": (_maiden, 1),
    "household": (_household, 3),
}


def _quota(kind: str, count: int) -> int:
    """How many builder calls for ``kind``: at least one from a roster of 20 up."""
    _, size = _BUILDERS[kind]
    n = round(HARD_CASE_RATES[kind] * count / size)
    return max(n, 1) if count >= 20 else n


# --------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------
def build_roster(count: int, seed: int) -> Roster:
    """Make ``count`` synthetic patients with hard cases; deterministic by ``seed``."""
    if count < 0:
        raise ValueError("count must be >= 0")
    rng = random.Random(f"roster:{seed}")
    people: list[Row] = []
    specs: list[tuple[str, list[int], str, dict[str, Any]]] = []
    for kind in _BUILDERS:
        builder, _ = _BUILDERS[kind]
        for _ in range(_quota(kind, count)):
            made, made_groups = builder(rng)
            if len(people) + len(made) > count:
                break
            base = len(people)
            people.extend(made)
            specs.extend((k, [base + i for i in idx], note, extra) for k, idx, note, extra in made_groups)
    while len(people) < count:
        people.append(_person(rng))
    order = list(range(len(people)))
    rng.shuffle(order)
    position = {old: new for new, old in enumerate(order)}
    rows = [people[i] for i in order]
    for row, mrn in zip(rows, rng.sample(range(100000, 1000000), len(rows)), strict=True):
        row["mrn"] = f"CF{mrn:06d}"
    groups = [HardCase(kind, [rows[position[i]]["mrn"] for i in idx], note, extra)
              for kind, idx, note, extra in specs]
    groups.extend(_derived_groups(rows))
    return Roster(rows=rows, groups=groups)


def _derived_groups(rows: list[Row]) -> list[HardCase]:
    """Groups that arise by chance: common family names shared by 3+ patients."""
    by_family: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        by_family[r["family_name"]].append(r["mrn"])
    return [HardCase("common_family_name", mrns, f"{len(mrns)} patients named {fam}")
            for fam, mrns in sorted(by_family.items()) if len(mrns) >= 3]


def generate_roster(count: int, seed: int) -> list[Row]:
    """The roster rows only (CSV shape); see :func:`build_roster` for the groups."""
    return build_roster(count, seed).rows


def hard_cases(count: int, seed: int) -> list[dict[str, Any]]:
    """The hard-case groups of ``generate_roster(count, seed)`` as plain dicts."""
    return [asdict(g) for g in build_roster(count, seed).groups]


def write_roster_csv(rows: list[Row], path: str | Path) -> Path:
    """Write rows as UTF-8 CSV with the exact roster header."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=ROSTER_FIELDS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return out


def groups_path_for(csv_path: str | Path) -> Path:
    """Where the hard-case sidecar of a roster CSV lives (``X.csv`` → ``X.groups.json``)."""
    p = Path(csv_path)
    return p.with_name(p.stem + ".groups.json")


def write_hard_cases_json(groups: list[HardCase], path: str | Path) -> Path:
    """Write the hard-case groups as a JSON list."""
    out = Path(path)
    out.write_text(json.dumps([asdict(g) for g in groups], indent=1, ensure_ascii=False) + "\n",
                   encoding="utf-8")
    return out


def read_roster_csv(path: str | Path) -> list[Row]:
    """Read a roster CSV written by :func:`write_roster_csv`."""
    with Path(path).open(encoding="utf-8", newline="") as fh:
        return [dict(r) for r in csv.DictReader(fh)]


def load_roster(path: str | Path) -> Roster:
    """Read a roster CSV and, if present, its ``.groups.json`` sidecar."""
    rows = read_roster_csv(path)
    side = groups_path_for(path)
    groups: list[HardCase] = []
    if side.exists():
        groups = [HardCase(**g) for g in json.loads(side.read_text(encoding="utf-8"))]
    return Roster(rows=rows, groups=groups)


def write_roster(roster: Roster, path: str | Path) -> Path:
    """Write the CSV and its hard-case sidecar; return the CSV path."""
    out = write_roster_csv(roster.rows, path)
    write_hard_cases_json(roster.groups, groups_path_for(out))
    return out


def make_stranger(seed: int | str, avoid: list[Row] | None = None) -> Row:
    """A person who is *not* in the roster (for unknown-patient documents); mrn is ''."""
    rng = random.Random(f"stranger:{seed}")
    taken = {(r["family_name"], r["given_name"], r["dob"]) for r in (avoid or [])}
    while True:
        p = _person(rng)
        if (p["family_name"], p["given_name"], p["dob"]) not in taken:
            return p
