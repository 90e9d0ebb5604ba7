"""A synthetic credit bureau: consumers, accounts, monthly statements, inquiries, public records, income
and outcomes, driven by a documented latent process (docs/data.md)."""

from lucidscore.synth._datadoc import render_data_doc
from lucidscore.synth._population import CHUNK_SIZE, SynthSummary, calibrate_intercept, generate_population

__all__ = ["CHUNK_SIZE", "SynthSummary", "calibrate_intercept", "generate_population", "render_data_doc"]
