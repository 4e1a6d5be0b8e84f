"""Deterministic synthetic test data for Chartfile, with ground truth.

The ``samples`` package owns every piece of fake data the project uses:
a patient roster with labelled hard cases (:mod:`samples.roster`), document
content (:mod:`samples.documents`), fax-like rendering (:mod:`samples.render`),
file formats (:mod:`samples.formats`), whole faxes and batch faxes with
ground truth (:mod:`samples.faxes`) and hostile inputs (:mod:`samples.hostile`).
Nothing here is real patient data.  The same seed always gives the same
roster, the same ground truth and byte-identical files (for a given Pillow,
libtiff and reportlab).

Command line: ``python -m samples roster|faxes|hostile|demo --help``.
"""

from __future__ import annotations

from samples.documents import DOC_TYPES, Document, make_document
from samples.faxes import generate_faxes, make_demo, make_fax, read_ground_truth
from samples.formats import FORMATS
from samples.hostile import HostileCase, generate_hostile, slow_write, start_slow_write
from samples.roster import (
    ROSTER_FIELDS,
    HardCase,
    Roster,
    build_roster,
    generate_roster,
    hard_cases,
    load_roster,
    make_stranger,
    read_roster_csv,
    write_roster,
    write_roster_csv,
)

__all__ = [
    "DOC_TYPES", "FORMATS", "ROSTER_FIELDS", "Document", "HardCase", "HostileCase", "Roster",
    "build_roster", "generate_faxes", "generate_hostile", "generate_roster", "hard_cases",
    "load_roster", "make_demo", "make_document", "make_fax", "make_stranger", "read_ground_truth",
    "read_roster_csv", "slow_write", "start_slow_write", "write_roster", "write_roster_csv",
]
