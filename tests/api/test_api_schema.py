"""schemathesis against a real ``chartfile serve``: every API operation, generated inputs, a valid token.

No 5xx, and every response (status, content type, body) matches ``/api/openapi.json``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from chartfile.service import users
from chartfile.service.office import open_office
from intake.config import load_config
from tests.browser.live import LiveServer, free_port, make_home
from tests.conftest import run_chartfile
from tests.web.conftest import ADMIN

EXAMPLES = 25


@pytest.fixture(scope="module")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    from samples.faxes import make_fax
    from samples.roster import build_roster, write_roster

    root = tmp_path_factory.mktemp("api")
    roster = build_roster(30, 11)
    write_roster(roster, root / "patients.csv")
    home, inbox = make_home(root / "office", roster=root / "patients.csv")
    row = roster.rows[0]
    make_fax(root / "lab.pdf", row, "lab_result", "pdf-text", seed=3, pages=2)  # text layer: no OCR needed
    ingested = run_chartfile(home, "ingest", str(root / "lab.pdf"))
    assert ingested.code == 0, ingested.err
    office = open_office(load_config(home, environ={}))
    token = users.issue_token(office, ADMIN, "clerk1")
    office.close()
    live = LiveServer(home, inbox, free_port(), watch=False).start()
    yield live, token
    live.stop()


def test_every_operation_matches_its_schema(api_server: tuple[LiveServer, str]) -> None:
    """Each operation: generated inputs with a valid token — no 5xx, responses conform to the schema."""
    live, token = api_server
    schema = schemathesis.openapi.from_url(f"{live.url}/api/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert operations
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            # a schema-valid request can still be meaningless, and that 400 is documented: "q=0" (nothing to search
            # for); a correction that changes nothing (only a reason, or the values the document already has), a
            # document type outside the listed ones, or a date in the future
            meaningless = {"/api/search", "/api/documents/{document_id}/correct"}
            excluded: list[Any] = [positive_data_acceptance] if case.operation.path in meaningless else []
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, excluded_checks=excluded)

        try:
            check()
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure, then report all
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)


def test_schema_lists_only_api_routes(api_server: tuple[LiveServer, str], tmp_path: Path) -> None:
    import json
    import urllib.request

    live, _ = api_server
    with urllib.request.urlopen(f"{live.url}/api/openapi.json") as resp:  # noqa: S310 - loopback
        doc = json.load(resp)
    assert doc["paths"] and all(p.startswith("/api/") for p in doc["paths"])
    assert "bearer" in json.dumps(doc.get("components", {}).get("securitySchemes", {})).lower()
