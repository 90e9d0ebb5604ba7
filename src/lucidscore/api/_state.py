"""What one app instance holds: settings, engine (shard 0's), every shard's engine and rescorer, session
maker, catalogue cache, throttle, admission, templates, rescorer, model key."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fastapi.templating import Jinja2Templates
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from lucidscore.api._admission import Admission
from lucidscore.api._limits import Throttle
from lucidscore.api._settings import Settings
from lucidscore.api._shards import ShardEngines, shard_in
from lucidscore.service import NoticeContact

if TYPE_CHECKING:
    from lucidscore.service import CatalogueCache, ModelKey, Rescorer


@dataclass
class ServiceState:
    settings: Settings
    engine: Engine  # shard 0's (the one database's)
    shards: ShardEngines  # every shard's engine and rescorer: a request's session moves among them
    sessions: sessionmaker[Session]  # sessions start on shard 0
    catalogues: CatalogueCache  # the current benefit catalogue, read from the database per request
    throttle: Throttle  # failed sign-ins, wrong API keys and unknown consent tokens
    templates: Jinja2Templates
    admission: Admission
    rescorer: Rescorer | None = None
    model_key: ModelKey | None = None  # from settings.model_key_path: stored models must verify with it
    plotly_js: list[str] = field(default_factory=list)  # filled on first request for /static/plotly.js
    # SQLite has one writer at a time and its busy handler sleeps in coarse steps (up to 50 ms) while it
    # waits; queueing this process's hot-path writes on a lock wakes the next writer at once instead.
    write_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def contact(self) -> NoticeContact:
        """Whom adverse-action notices name (settings ``contact_*``)."""
        s = self.settings
        return NoticeContact(name=s.contact_name, email=s.contact_email, address=s.contact_address)

    def rescorer_for(self, db: Session) -> Rescorer | None:
        """The rescorer of the shard the request's session is on."""
        return self.shards.rescorers[shard_in(db)]

    @property
    def serialise_writes(self) -> bool:
        return self.engine.dialect.name == "sqlite"
