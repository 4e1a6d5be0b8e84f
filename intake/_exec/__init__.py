"""Thin adapters around external tools, one module per tool.

* :mod:`intake._exec.tesseract` - the only module that runs tesseract: in process through
  :mod:`intake._exec.tesslib` (libtesseract's C API, ``ocr.engine = "library"``, the default)
  or as the ``tesseract`` command through pytesseract (``ocr.engine = "cli"``).
* :mod:`intake._exec.pdftext` - the only module that imports pdfplumber / pypdfium2.
* :mod:`intake._exec.nlp` - the only module that imports spaCy.

Keeping every third-party tool behind one small module makes them easy to
stub in tests and keeps their quirks (environment, error types) in one place.
"""
