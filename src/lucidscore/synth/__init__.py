"""lucidscore.synth layer."""
