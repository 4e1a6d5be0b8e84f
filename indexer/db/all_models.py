"""Imports every module that declares tables, so metadata (and Alembic) sees them all."""

from __future__ import annotations

import importlib

MODEL_MODULES = (
    "indexer.db.models",
    "indexer.roi.models",
    "chartfile.service.auth_models",
)


def load_all() -> None:
    """Import each model module that exists (feature modules may be absent)."""
    for name in MODEL_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is None or not name.startswith(exc.name):
                raise
