"""FHIR R4 ``AuditEvent`` representation of audit events (plain dicts, no FHIR library at run time).

Owns the mapping of one stored event to an R4 AuditEvent and the envelope of
the ``collection`` Bundle an export streams.  The chain evidence (seq, hash,
prev_hash) and the short detail travel in an entity of type "Other", so an
exported Bundle can be checked against the chain.  The tests validate the
output with ``fhir.resources.R4B`` (R4B AuditEvent has the R4 shape).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from indexer.audit import ids

DCM = "http://dicom.nema.org/resources/ontology/DCM"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type"
ROLE_TYPE = "http://terminology.hl7.org/CodeSystem/extra-security-role-type"
EVENT_TYPE_SYSTEM = "urn:chartfile:audit-event-type"
MRN_SYSTEM = "urn:chartfile:mrn"
USER_SYSTEM = "urn:chartfile:user"
CHAIN_SYSTEM = "urn:chartfile:audit-chain"
CHAIN_HEAD_SYSTEM = "urn:chartfile:audit-chain-head"
_UUID_NS = uuid.UUID("5b0c1f3e-7a51-4d0e-9d0b-6c1f0c2a7e11")

# (event-type prefix, DICOM audit event id code, display): first match wins.
TYPE_MAP: tuple[tuple[str, str, str], ...] = (
    ("audit.start", "110100", "Application Activity"),
    ("audit.stop", "110100", "Application Activity"),
    ("audit.", "110101", "Audit Log Used"),
    ("export.", "110106", "Export"),
    ("roi.", "110106", "Export"),
    ("search", "110112", "Query"),
    ("intake.", "110107", "Import"),
    ("patients.import", "110107", "Import"),
    ("user.login", "110114", "User Authentication"),
    ("user.logout", "110114", "User Authentication"),
    ("user.", "110137", "User Security Attributes Changed"),
    ("role.", "110136", "Security Roles Changed"),
    ("patient.", "110110", "Patient Record"),
    ("document.", "110110", "Patient Record"),
    ("review.", "110110", "Patient Record"),
)
DEFAULT_TYPE = ("110100", "Application Activity")


def event_type_coding(event_type: str) -> dict[str, str]:
    """DICOM audit event id for a Chartfile event type."""
    for prefix, code, display in TYPE_MAP:
        if event_type == prefix or event_type.startswith(prefix):
            return {"system": DCM, "code": code, "display": display}
    return {"system": DCM, "code": DEFAULT_TYPE[0], "display": DEFAULT_TYPE[1]}


def split_source(source: str) -> tuple[str, str | None]:
    """``host/pid123[/client]`` → (host, client address or None)."""
    parts = source.split("/", 2)
    host = parts[0] or "unknown"
    client = parts[2] if len(parts) > 2 and parts[2] else None
    return host, client


def _agent(actor: str, client: str | None) -> dict[str, Any]:
    human = actor != "system"
    kind = ({"system": ROLE_TYPE, "code": "humanuser", "display": "human user"} if human
            else {"system": DCM, "code": "110150", "display": "Application"})
    agent: dict[str, Any] = {
        "type": {"coding": [kind]},
        "who": {"identifier": {"system": USER_SYSTEM, "value": actor}, "display": actor},
        "name": actor,
        "requestor": human,
    }
    if client:
        agent["network"] = {"address": client, "type": "2"}
    return agent


def _entities(row: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if row.patient_mrn:
        out.append({
            "what": {"identifier": {"system": MRN_SYSTEM, "value": row.patient_mrn}},
            "type": {"system": ENTITY_TYPE, "code": "1", "display": "Person"},
            "role": {"system": OBJECT_ROLE, "code": "1", "display": "Patient"},
        })
    for doc_id in ids.iter_ids(row.document_ids):
        out.append({
            "what": {"reference": f"DocumentReference/{doc_id}"},
            "type": {"system": ENTITY_TYPE, "code": "2", "display": "System Object"},
            "role": {"system": OBJECT_ROLE, "code": "3", "display": "Report"},
        })
    details = [{"type": "seq", "valueString": str(row.seq)},
               {"type": "hash", "valueString": row.hash},
               {"type": "prev_hash", "valueString": row.prev_hash}]
    if row.detail:
        details.append({"type": "detail", "valueString": row.detail})
    out.append({
        "what": {"identifier": {"system": CHAIN_SYSTEM, "value": str(row.seq)}},
        "type": {"system": ENTITY_TYPE, "code": "4", "display": "Other"},
        "name": "chartfile audit chain entry",
        "detail": details,
    })
    return out


def audit_event(row: Any) -> dict[str, Any]:
    """One stored event (any object with the event columns) → R4 AuditEvent resource."""
    host, client = split_source(row.source or "")
    resource: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": f"chartfile-audit-{row.seq}",
        "type": event_type_coding(row.event_type),
        "subtype": [{"system": EVENT_TYPE_SYSTEM, "code": row.event_type}],
        "action": row.action,
        "recorded": row.ts,
        "outcome": "0" if row.outcome == "success" else "4",
        "agent": [_agent(row.actor, client)],
        "source": {
            "site": host,
            "observer": {"display": f"chartfile@{host}"},
            "type": [{"system": SOURCE_TYPE, "code": "4", "display": "Application Server"}],
        },
        "entity": _entities(row),
    }
    if row.outcome != "success":
        resource["outcomeDesc"] = row.detail or row.outcome
    return resource


def entry(row: Any) -> dict[str, Any]:
    """A Bundle entry for one event (stable ``urn:uuid`` derived from the event hash)."""
    return {"fullUrl": f"urn:uuid:{uuid.uuid5(_UUID_NS, row.hash)}", "resource": audit_event(row)}


def bundle_opening(head_seq: int, head_hash: str, generated: str) -> str:
    """The JSON text of the Bundle envelope without its closing brace.

    The writer appends ``, "entry": [`` before the first entry, the entries
    comma-separated, and ``]`` — or nothing for an empty export (FHIR JSON has
    no empty arrays) — then ``}``.
    """
    envelope = {
        "resourceType": "Bundle",
        "id": f"chartfile-audit-export-{head_seq}",
        "identifier": {"system": CHAIN_HEAD_SYSTEM, "value": f"{head_seq}:{head_hash}"},
        "type": "collection",
        "timestamp": generated,
    }
    return json.dumps(envelope, ensure_ascii=False)[:-1]
