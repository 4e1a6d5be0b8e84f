"""Authorizations in the database: stored validation, re-evaluation over time, revocation, events."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command

from indexer.db.engine import alembic_config
from indexer.roi import authorizations as auths
from indexer.roi import lookup
from indexer.roi.models import Authorization
from intake.errors import InputError, NotFoundError, RefusedError
from tests.integration.test_roi_support import MRN, OTHER_MRN, Home, add_authorization, audit_events, make_home, run_cli


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return make_home(tmp_path)


def _stored(home: Home, auth_id: int) -> Authorization:
    with home.db.session() as s:
        return lookup.authorization(s, auth_id)


def test_add_stores_validation_and_audits(home: Home) -> None:
    auth_id = add_authorization(home, date(2025, 3, 1), purpose=None)
    row = _stored(home, auth_id)
    assert row.status == "active" and not row.valid and row.validated_on == date(2025, 3, 1)
    assert json.loads(row.validation_json)["missing"] == ["purpose"]
    [event] = audit_events(home)
    assert (event.event_type, event.action, event.patient_mrn) == ("roi.authorization.add", "C", MRN)
    assert "missing purpose" in event.detail


def test_validity_recomputed_when_time_passes(home: Home) -> None:
    auth_id = add_authorization(home, date(2025, 3, 1), expires_on=date(2025, 6, 30))
    assert _stored(home, auth_id).valid
    with home.db.transaction() as s:
        result = auths.evaluate(s, lookup.authorization(s, auth_id), date(2025, 6, 30))
    assert not result.valid and "expired on 2025-06-30" in result.problems[0]
    row = _stored(home, auth_id)
    assert not row.valid and row.validated_on == date(2025, 6, 30)


def test_revocation_effective_from_received_day(home: Home) -> None:
    auth_id = add_authorization(home, date(2025, 3, 1))
    with home.db.transaction() as s:
        result = auths.revoke(s, auth_id, received_on=date(2025, 3, 5), actor="clerk1", today=date(2025, 3, 7),
                              revocation_document_id=None, note="letter from patient")
    assert not result.valid
    with home.db.transaction() as s:
        auth = lookup.authorization(s, auth_id)
        assert auths.evaluate(s, auth, date(2025, 3, 4)).valid  # before the office received it
        assert not auths.evaluate(s, auth, date(2025, 3, 5)).valid
    with home.db.transaction() as s, pytest.raises(RefusedError):
        auths.revoke(s, auth_id, received_on=date(2025, 3, 6), actor="clerk1", today=date(2025, 3, 7))
    assert [e.event_type for e in audit_events(home)][-1] == "roi.authorization.revoke"


def test_revocation_cannot_be_received_in_the_future(home: Home) -> None:
    auth_id = add_authorization(home, date(2025, 3, 1))
    with home.db.transaction() as s, pytest.raises(InputError):
        auths.revoke(s, auth_id, received_on=date(2025, 3, 2), actor="clerk1", today=date(2025, 3, 1))


def test_expiry_event_recorded(home: Home) -> None:
    auth_id = add_authorization(home, date(2025, 3, 1), expires_on=None, expiration_event="end of treatment")
    assert _stored(home, auth_id).valid
    with home.db.transaction() as s:
        result = auths.record_event(s, auth_id, occurred_on=date(2025, 4, 1), actor="clerk1",
                                    today=date(2025, 4, 2))
    assert not result.valid and "expiration event occurred on 2025-04-01" in result.problems[0]


def test_event_refused_for_date_expiry(home: Home) -> None:
    auth_id = add_authorization(home, date(2025, 3, 1))
    with home.db.transaction() as s, pytest.raises(InputError):
        auths.record_event(s, auth_id, occurred_on=date(2025, 3, 1), actor="clerk1", today=date(2025, 3, 1))


def test_flag_false(home: Home) -> None:
    auth_id = add_authorization(home, date(2025, 3, 1))
    with home.db.transaction() as s:
        result = auths.flag_false(s, auth_id, reason="signature forged", actor="privacy", today=date(2025, 3, 1))
    assert not result.valid and "signature forged" in result.problems[0]


def test_unknown_doc_type_and_patient_rejected(home: Home) -> None:
    with pytest.raises(InputError):
        add_authorization(home, date(2025, 3, 1), doc_types=["x_rays"])
    with home.db.transaction() as s, pytest.raises(NotFoundError):
        auths.add(s, mrn="CF999999", given=auths.AuthorizationFields(), actor="c", today=date(2025, 3, 1))


def test_source_form_of_another_patient_refused(home: Home) -> None:
    with pytest.raises(RefusedError):
        add_authorization(home, date(2025, 3, 1), source_document_id=home.docs["bob_lab"])


def test_cli_add_show_list_revoke(home: Home, capsys: Any) -> None:
    today = date.today()
    expires = (today + timedelta(days=90)).isoformat()
    code, out, _ = run_cli(home, capsys, "roi", "authorization", "add", "--mrn", MRN.lower(),
                           "--discloser", "Maple Street Family Medicine", "--recipient", "Valley Cardiology",
                           "--address", "2250 River Rd", "--types", "lab_result", "--purpose", "Continuity of care",
                           "--expires", expires, "--signed", today.isoformat(), "--signer", "Alice Testperson",
                           "--statements", "revocation,conditioning")
    assert code == 0, out
    assert "INVALID" in out and "missing statement that disclosed information may be redisclosed" in out
    code, out, _ = run_cli(home, capsys, "roi", "authorization", "show", "1", "--json")
    data = json.loads(out)
    assert code == 0 and data["missing"] == ["redisclosure_statement"] and data["mrn"] == MRN
    code, out, _ = run_cli(home, capsys, "roi", "authorization", "list", "--mrn", MRN)
    assert code == 0 and out.startswith("#1 ") and "invalid  missing statement that disclosed" in out
    code, out, _ = run_cli(home, capsys, "roi", "authorization", "list", "--mrn", OTHER_MRN)
    assert code == 0 and "(no authorizations)" in out
    code, out, _ = run_cli(home, capsys, "roi", "authorization", "revoke", "1", "--received", today.isoformat())
    assert code == 0 and "revoked in writing" in out
    code, _, err = run_cli(home, capsys, "roi", "authorization", "revoke", "1", "--received", today.isoformat())
    assert code == 6 and "already revoked" in err
    code, _, err = run_cli(home, capsys, "roi", "authorization", "show", "99")
    assert code == 4 and "no authorization #99" in err
    types = [e.event_type for e in audit_events(home)]
    assert types == ["roi.authorization.add", "roi.authorization.show", "roi.authorization.list",
                     "roi.authorization.list", "roi.authorization.revoke"]


def test_cli_bad_date_is_usage_error(home: Home, capsys: Any) -> None:
    code, _, err = run_cli(home, capsys, "roi", "authorization", "add", "--mrn", MRN, "--expires", "31/12/2025")
    assert code == 2 and "not a date" in err


def test_cli_migrates_roi_tables_into_an_older_home(home: Home, capsys: Any) -> None:
    """A data home created before the ROI migration (old multi-head history, no 0002) is refused with a
    fix-it hint until 'chartfile db upgrade' adds the ROI tables."""
    acfg = alembic_config(home.db.engine)
    with home.db.engine.begin() as conn:  # first undo the later revision that builds on the ROI tables
        acfg.attributes["connection"] = conn
        command.downgrade(acfg, "0004_search")
    with home.db.engine.begin() as conn:
        for table in ("roi_release_documents", "roi_releases", "roi_requests", "roi_authorizations"):
            conn.exec_driver_sql(f"DROP TABLE {table}")
        conn.exec_driver_sql("DELETE FROM alembic_version")
        conn.exec_driver_sql("INSERT INTO alembic_version (version_num) VALUES ('0003'), ('0005_search')")
    code, _, err = run_cli(home, capsys, "roi", "authorization", "list")
    assert code == 5 and "chartfile db upgrade" in err
    code, _, err = run_cli(home, capsys, "db", "upgrade")
    assert code == 0, err
    code, out, err = run_cli(home, capsys, "roi", "authorization", "list")
    assert code == 0, err
    assert out.strip() == "(no authorizations)"
