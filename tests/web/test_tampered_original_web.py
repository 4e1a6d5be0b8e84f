"""An original altered in the archive is never served by the web app: its download and page images are 409.

A lab report is filed into Marta Lindqvist's chart; one bit of its archived
original is flipped on disk.  The clerk still sees the document's record,
but the original and its page images are refused with HTTP 409 and a message
naming the intake item and the fix, and no byte of the file is sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from chartfile.service import users
from chartfile.service.actor import Role
from indexer.db.models import Document
from tests.conftest import run_chartfile
from tests.e2e.helpers import patient_pdf_bytes
from tests.web.conftest import ADMIN, login, make_app, make_cfg, office_of

ROSTER = ("mrn,family_name,given_name,middle_name,dob,sex,phone,address,city,state,postal_code\n"
          "CF000401,Lindqvist,Marta,,1970-01-02,F,,,,,\n")


@pytest.fixture
def filed(tmp_path: Path) -> Iterator[tuple[Any, int, Path]]:
    """The app over a home with one filed document; (app, document id, its archived original)."""
    home = tmp_path / "home"
    (tmp_path / "r.csv").write_text(ROSTER)
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "marta.pdf").write_bytes(patient_pdf_bytes("Marta", "Lindqvist", "01/02/1970", "CF000401", 1))
    for args in (("init",), ("patients", "import", str(tmp_path / "r.csv")), ("ingest", str(drop))):
        done = run_chartfile(home, *args)
        assert done.code == 0, done.err
    app = make_app(make_cfg(home))
    users.add_user(office_of(app), ADMIN, "clerk1", Role.CLERK, "correct horse battery staple")
    with office_of(app).db.read() as s:
        doc_id = s.scalars(select(Document.id).where(Document.patient_id.is_not(None))).one()
    [original] = (home / "archive").glob("*/*/*-marta.pdf")
    yield app, doc_id, original
    office_of(app).close()


def test_an_altered_original_is_refused_with_409_and_never_served(filed: tuple[Any, int, Path]) -> None:
    app, doc_id, original = filed
    client = TestClient(app)
    assert login(client, "clerk1")
    good = original.read_bytes()
    assert client.get(f"/documents/{doc_id}/original").content == good  # served while intact
    assert client.get(f"/documents/{doc_id}/pages/1.png").status_code == 200

    damaged = bytearray(good)
    damaged[len(damaged) // 2] ^= 0x01
    original.write_bytes(bytes(damaged))
    item = int(original.name.split("-", 1)[0])
    for url in (f"/documents/{doc_id}/original", f"/documents/{doc_id}/pages/1.png"):
        refused = client.get(url)
        assert refused.status_code == 409, (url, refused.status_code)
        assert f"intake item {item} has been altered" in refused.text, refused.text
        assert bytes(damaged[:200]) not in refused.content
    page = client.get(f"/documents/{doc_id}")
    assert page.status_code == 200  # the record itself is still shown
