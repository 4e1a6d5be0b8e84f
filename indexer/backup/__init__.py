"""Backups a practice can restore: a consistent copy of a data home, and its restore into an empty one.

``chartfile backup DIR`` writes :mod:`indexer.backup.create`; ``chartfile
restore DIR`` reads it back with :mod:`indexer.backup.restore`.  The database
copy goes through :mod:`indexer.backup.dbcopy` (SQLite's online backup API,
or ``pg_dump``/``pg_restore``); every file is listed with its size and
SHA-256 in ``manifest.json`` (:mod:`indexer.backup.manifest`).
"""
