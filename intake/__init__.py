"""Intake: watch the inbox, take ownership of files, read their text and find entities."""
