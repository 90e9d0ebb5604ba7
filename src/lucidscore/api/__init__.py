"""The score service: FastAPI app factory, routers per audience, pages.

Build it with ``create_app(Settings(...))``; see docs/service.md.
"""

from lucidscore.api._app import app_from_environment, create_app
from lucidscore.api._domain import create_api_key, create_user
from lucidscore.api._rescore import PipelineRescorer, Rescorer
from lucidscore.api._scoring import score_records
from lucidscore.api._settings import Settings

__all__ = [
    "PipelineRescorer",
    "Rescorer",
    "Settings",
    "app_from_environment",
    "create_api_key",
    "create_app",
    "create_user",
    "score_records",
]
