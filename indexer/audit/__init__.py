"""Tamper-evident audit trail: keyed, hash-chained, append-only events about every PHI access.

Public API::

    from indexer.audit import record            # append one event in the caller's transaction
    from indexer.audit import set_enabled, apply_config, verify_trail

Module map: ``chain`` (canonical form, MACs, the walk), ``keys`` (the audit
key outside the data home), ``context`` (key lookup per session, checkpoint
after commit), ``checkpoints`` (signed chain heads and their sinks),
``sources`` (reading checkpoints back), ``classify`` (naming the attack),
``trail`` (the one write path, the switch read), ``switch`` (audit on/off,
audited), ``anchors`` (legacy unsigned anchors), ``query`` (filters, batched
reads), ``formats``/``fhir`` (CSV, JSON Lines, FHIR R4 Bundle), ``export``,
``report`` (per-patient access), ``verify``.
"""

from indexer.audit.switch import apply_config, set_enabled
from indexer.audit.trail import head, record
from indexer.audit.verify import verify_trail

__all__ = ["apply_config", "head", "record", "set_enabled", "verify_trail"]
