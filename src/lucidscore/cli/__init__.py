"""The ``lucidscore`` command-line interface (Typer)."""
