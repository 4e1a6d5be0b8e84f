"""Tamper-evident audit trail: hash-chained, append-only events about every PHI access."""

from indexer.audit.trail import record

__all__ = ["record"]
