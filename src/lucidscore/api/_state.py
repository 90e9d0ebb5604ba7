"""What one app instance holds: settings, engine, session maker, catalogue cache, limiter, templates,
rescorer."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from lucidscore.api._limits import SigninLimiter
from lucidscore.api._settings import Settings

if TYPE_CHECKING:
    from lucidscore.service import CatalogueCache, Rescorer


@dataclass
class ServiceState:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    catalogues: CatalogueCache  # the current benefit catalogue, read from the database per request
    limiter: SigninLimiter
    templates: Jinja2Templates
    rescorer: Rescorer | None = None
    plotly_js: list[str] = field(default_factory=list)  # filled on first request for /static/plotly.js
    # SQLite has one writer at a time and its busy handler sleeps in coarse steps (up to 50 ms) while it
    # waits; queueing this process's hot-path writes on a lock wakes the next writer at once instead.
    write_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def serialise_writes(self) -> bool:
        return self.engine.dialect.name == "sqlite"
