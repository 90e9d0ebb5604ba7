"""lucidscore: an open, explainable, consent-based consumer credit score on a 350-950 scale.

Layers, upstream to downstream: ``synth`` -> ``ingest`` -> ``store`` -> ``features`` -> ``model`` ->
``evaluate`` -> ``score`` -> ``api`` / ``cli``. ``policy`` is consulted by ``model``, ``score`` and ``api``.
"""

from lucidscore.errors import LucidError

__version__ = "0.1.0"

__all__ = ["LucidError", "__version__"]
