"""The HTTP adapter of the service: FastAPI app factory, routers per audience, schemas and pages.

Build it with ``create_app(Settings(...))``; see docs/service.md. What the service does lives in
``lucidscore.service``; this package maps it to HTTP (domain errors to status codes in one place).
"""

from lucidscore.api._app import app_from_environment, create_app
from lucidscore.api._serving import NoDelayH11Protocol, settle_heap
from lucidscore.api._settings import Settings
from lucidscore.api._shards import ShardEngines, shard_engines

__all__ = [
    "NoDelayH11Protocol",
    "Settings",
    "ShardEngines",
    "app_from_environment",
    "create_app",
    "settle_heap",
    "shard_engines",
]
