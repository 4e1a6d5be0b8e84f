"""The ``chartfile`` command-line interface (click), one module per command group."""
