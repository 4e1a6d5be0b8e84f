"""Indexer: match documents to patients, file them in the database, keep the search index."""
