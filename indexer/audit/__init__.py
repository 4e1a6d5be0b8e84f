"""Tamper-evident audit trail: hash-chained, append-only events about every PHI access.

Public API::

    from indexer.audit import record            # append one event in the caller's transaction
    from indexer.audit import set_enabled, apply_config, verify_trail, write_anchor

Module map: ``chain`` (pure hashing and verification), ``trail`` (the one
write path, the switch read), ``switch`` (audit on/off, audited), ``anchors``
(chain heads in ``<home>/audit/anchors.log``), ``query`` (filters, batched
reads), ``formats``/``fhir`` (CSV, JSON Lines, FHIR R4 Bundle), ``export``,
``report`` (per-patient access), ``verify``.
"""

from indexer.audit.anchors import read_anchors, write_anchor
from indexer.audit.switch import apply_config, set_enabled
from indexer.audit.trail import head, record
from indexer.audit.verify import verify_trail

__all__ = ["apply_config", "head", "read_anchors", "record", "set_enabled", "verify_trail", "write_anchor"]
