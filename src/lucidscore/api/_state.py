"""What one app instance holds: settings, engine, session maker, catalogue, limiter, templates, rescorer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from lucidscore.api._limits import SigninLimiter
from lucidscore.api._settings import Settings
from lucidscore.policy import BenefitCatalogue

if TYPE_CHECKING:
    from lucidscore.api._rescore import Rescorer


@dataclass
class ServiceState:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    catalogue: BenefitCatalogue
    limiter: SigninLimiter
    templates: Jinja2Templates
    rescorer: Rescorer | None = None
    plotly_js: list[str] = field(default_factory=list)  # filled on first request for /static/plotly.js
