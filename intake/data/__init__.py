"""Bundled data files (document-type rules).  Read with :mod:`importlib.resources`."""
