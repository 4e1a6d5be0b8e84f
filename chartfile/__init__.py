"""Chartfile: document intake and records indexing for a medical office."""
