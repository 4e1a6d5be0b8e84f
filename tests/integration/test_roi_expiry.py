"""Issue 18: a faxed form whose expiry is a relative phrase cannot be released on after that date."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from indexer.roi import authorizations as auths
from indexer.roi import lookup, releases
from indexer.roi.validation import AuthStatus
from intake.errors import InputError, RefusedError
from tests.integration.test_roi_drafts import _draft, file_form, form_text
from tests.integration.test_roi_support import (
    MRN,
    RECIPIENT,
    Home,
    add_authorization,
    audit_events,
    make_home,
    run_cli,
)


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return make_home(tmp_path)


def _form_with_expiry(today: date, phrase: str, signed: date) -> str:
    lines = form_text(today).splitlines()
    lines = [f"This authorization expires {phrase}." if line.startswith("This authorization expires") else line
             for line in lines]
    lines = [f"Signature: /s/ Alice Testperson    Date: {signed.strftime('%m/%d/%Y')}"
             if line.startswith("Signature") else line for line in lines]
    return "\n".join(lines)


def test_one_year_from_the_date_signed_expires_and_release_is_refused(home: Home, capsys: Any) -> None:
    """Before: the phrase was stored as an event, the confirmed authorization was VALID, the release succeeded."""
    today = date.today()
    signed = today - timedelta(days=486)  # as in the issue: signed 2025-08-04, released 2026-12-03
    doc = file_form(home, _form_with_expiry(today, "one year from the date signed", signed))
    auth = _draft(home, doc.id)
    expected = signed.replace(year=signed.year + 1) if not (signed.month, signed.day) == (2, 29) else \
        date(signed.year + 1, 2, 28)
    assert (auth.expires_on, auth.expiration_event) == (expected, None)
    assert auth.expiry_phrase == "one year from the date signed"
    code, out, err = run_cli(home, capsys, "roi", "authorization", "confirm", str(auth.id))
    assert code == 0, err
    assert f"Authorization #{auth.id}  [expired]" in out
    assert f'Expires          : {expected.isoformat()} ("one year from the date signed")' in out
    assert f"expired on {expected.isoformat()}" in out
    code, out, _ = run_cli(home, capsys, "roi", "authorization", "list")
    assert out.startswith(f"#{auth.id}    {MRN}   expired  expired on {expected.isoformat()}")
    assert all(len(line) <= 80 for line in out.splitlines())
    inp = releases.ReleaseInput(mrn=MRN, document_ids=[home.docs["lab"]], recipient_name=RECIPIENT,
                                method="mail", basis="authorization", authorization_id=auth.id)
    with pytest.raises(RefusedError, match=f"expired on {expected.isoformat()}"):
        releases.release(home.db, inp, actor="clerk1", today=today)


def test_an_event_read_from_the_scan_must_be_entered_by_a_clerk(home: Home, capsys: Any) -> None:
    today = date.today()
    doc = file_form(home, _form_with_expiry(today, "at the end of the treatment relationship", today))
    auth = _draft(home, doc.id)
    code, out, _ = run_cli(home, capsys, "roi", "authorization", "confirm", str(auth.id))
    assert code == 0 and f"[{AuthStatus.INVALID.value}]" in out and "a clerk must enter it" in out
    code, out, err = run_cli(home, capsys, "roi", "authorization", "expiry", str(auth.id),
                             "--expiry-event", "at the end of the treatment relationship")
    assert code == 0, err
    assert f"Authorization #{auth.id}  [valid]" in out
    assert "Expires          : event: at the end of the treatment relationship" in out
    assert [e.event_type for e in audit_events(home)][-1] == "roi.authorization.expiry"


def test_clerk_enters_words_and_gets_a_date(home: Home, capsys: Any) -> None:
    today = date.today()
    code, out, err = run_cli(home, capsys, "roi", "authorization", "add", "--mrn", MRN, "--discloser", "Us",
                             "--recipient", RECIPIENT, "--types", "lab_result", "--purpose", "Continuity of care",
                             "--expires", "90 days after signature", "--signed", today.isoformat(),
                             "--signer", "Alice Testperson", "--statements", "revocation,conditioning,redisclosure",
                             "--json")
    assert code == 0, err
    assert f'"expires_on": "{(today + timedelta(days=90)).isoformat()}"' in out and '"status": "valid"' in out
    code, _, err = run_cli(home, capsys, "roi", "authorization", "add", "--mrn", MRN,
                           "--expiry-event", "12 months after discharge")
    assert code == 3 and "counted from 'discharge'" in err


def test_duration_typed_as_an_event_becomes_a_date(home: Home) -> None:
    auth_id = add_authorization(home, date(2025, 8, 4), expires_on=None,
                                expiration_event="one year from the date signed", signed_on=date(2025, 8, 4))
    with home.db.transaction() as s:
        auth = lookup.authorization(s, auth_id)
        assert (auth.expires_on, auth.expiration_event) == (date(2026, 8, 4), None)
        assert auths.evaluate(s, auth, date(2026, 12, 3)).status == AuthStatus.EXPIRED


def test_legacy_row_with_a_duration_as_event_is_repaired_on_evaluation(home: Home) -> None:
    auth_id = add_authorization(home, date(2025, 8, 4), expires_on=None, expiration_event="end of treatment",
                                signed_on=date(2025, 8, 4))
    with home.db.transaction() as s:  # what an older version stored for "expires one year from the date signed"
        auth = lookup.authorization(s, auth_id)
        auth.expiration_event, auth.expiry_phrase = "one year from the date signed", None
    with home.db.transaction() as s:
        auth = lookup.authorization(s, auth_id)
        result = auths.evaluate(s, auth, date(2026, 12, 3))
        assert result.status == AuthStatus.EXPIRED and not result.valid
        assert (auth.expires_on, auth.expiration_event) == (date(2026, 8, 4), None)


def test_words_that_are_not_a_duration_are_refused_as_a_date(home: Home) -> None:
    with pytest.raises(InputError, match="not a date or a length of time"):
        add_authorization(home, date(2025, 8, 4), expires_on=None, expiry_text="upon settlement")
