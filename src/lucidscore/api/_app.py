"""The application factory: everything the service needs is built here, from ``Settings``, never at import."""

from __future__ import annotations

import logging

from fastapi import Depends, FastAPI
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from lucidscore.api._admission import Admission
from lucidscore.api._errors import install_error_handlers
from lucidscore.api._headers import SecurityHeaders
from lucidscore.api._limits import BodySizeLimit, Throttle
from lucidscore.api._pages import make_templates
from lucidscore.api._serving import settle_heap
from lucidscore.api._settings import Settings
from lucidscore.api._shards import ShardEngines, shard_engines
from lucidscore.api._state import ServiceState
from lucidscore.api.deps import refuse_unstorable_params, require_json_bodies
from lucidscore.api.routes import (
    analyst,
    analyst_pages,
    auth,
    consumer,
    consumer_pages,
    docs,
    merchant,
    oauth,
    system,
)
from lucidscore.policy import BenefitCatalogue, catalogue_json, default_catalogue, load_catalogue
from lucidscore.service import (
    CatalogueCache,
    PipelineRescorer,
    Rescorer,
    catalogue_version,
    ensure_catalogue,
    load_model_key,
)
from lucidscore.store import make_engine, session_factory

log = logging.getLogger("lucidscore.api")

DESCRIPTION = """An open, explainable, consent-based credit score on a 350-950 scale.

* **Consumers** (`/v1/me/...`, session from `POST /v1/session`): score, history, data, who looked,
  consents, disputes.
* **Merchants** (`POST /v1/decisions`, `X-API-Key` header): a decision with a consumer's consent token;
  or OAuth 2.0 (`/oauth/authorize`, `/oauth/token`, `/oauth/revoke`): the consent token as a bearer.
* **Analysts** (`/v1/analyst/...`): models, dispute queue, monitoring.

Every error is `{"error": {"status", "code", "message", "field"}}`.
"""


def create_app(
    settings: Settings,
    *,
    engine: Engine | None = None,
    rescorer: Rescorer | None = None,
    shards: ShardEngines | None = None,
) -> FastAPI:
    """Build the service.

    Parameters
    ----------
    settings : the service settings (``Settings()`` reads ``LUCIDSCORE_*`` environment variables).
    engine : an engine to use instead of one made from ``settings.db_url`` (the database must be migrated).
    rescorer : what recomputes features and scores after a correction or a model change; without one,
        disputes can only be accepted without corrections.
    shards : a deployment split by consumer: every shard's engine (migrated, stamps checked) and rescorer,
        in map order, instead of ``engine`` and ``rescorer``; each request is answered from its consumer's
        shard (``api._shards``). Without it (and without ``engine``), ``settings.shard_map`` names the map
        whose shards are opened (``shard_engines``; each with a ``PipelineRescorer`` when ``rescorer`` is
        given). ``settings.db_url`` is then not used.

    The benefit catalogue is the database's current version, read on every request that needs it (a new
    version set by ``lucidscore catalogue set`` is used at once); an empty database is seeded first.
    """
    seed = (
        load_catalogue(settings.benefit_catalogue_path)
        if settings.benefit_catalogue_path
        else default_catalogue()
    )
    if shards is None and engine is None and settings.shard_map is not None:
        shards = shard_engines(
            settings.shard_map,
            pool_size=settings.db_pool_size,
            pool_timeout=settings.db_pool_timeout_seconds,
            seed=seed,
            seed_source=str(settings.benefit_catalogue_path or "default"),
            rescorer=(lambda url: PipelineRescorer(url, settings.as_of)) if rescorer is not None else None,
        )
    if shards is None:
        engine = engine if engine is not None else service_engine(settings)
        shards = ShardEngines((engine,), (rescorer,))
    engine, rescorer = shards.engines[0], shards.rescorers[0]
    sessions = session_factory(engine)
    _seed_catalogue(sessions, seed, settings)  # shard 0; serve --shards copies it to the others first
    # FastAPI's own /docs and /redoc load their scripts from a CDN; routes.docs serves /docs locally.
    app = FastAPI(
        title="lucidscore",
        version="1",
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(require_json_bodies), Depends(refuse_unstorable_params)],
    )
    app.state.lucid = ServiceState(
        settings=settings,
        engine=engine,
        shards=shards,
        sessions=sessions,
        catalogues=CatalogueCache(seed),
        throttle=Throttle(settings.signin_window_seconds, settings.signin_max_delay_seconds),
        templates=make_templates(),
        admission=Admission(
            settings.db_pool_size, settings.max_queued_requests, settings.queue_timeout_seconds
        ),
        rescorer=rescorer,
        model_key=load_model_key(settings.model_key_path) if settings.model_key_path else None,
    )
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)  # outside the size limit: its 413 gets the headers too
    if settings.forwarded_allow_ips:
        # The client address comes from X-Forwarded-For only when the peer is one of these proxies; serve
        # turns uvicorn's own handling off (it trusts 127.0.0.1 by default), so this is the one place.
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)
    for module in (system, docs, auth, consumer, consumer_pages, merchant, oauth, analyst, analyst_pages):
        app.include_router(module.router)
    return app


def _seed_catalogue(sessions: sessionmaker[Session], seed: BenefitCatalogue, settings: Settings) -> None:
    """Store the first catalogue version when the database has none: the file of
    ``benefit_catalogue_path`` if set, else the default. Later versions come from
    ``lucidscore catalogue set``; a file that differs from the stored current version is then ignored.

    A database that cannot be reached now does not stop the app from starting (its requests answer 503
    until it is back; ``CatalogueCache`` uses ``seed`` while no version is stored); the next start seeds it.
    """
    from sqlalchemy.exc import DBAPIError

    path = settings.benefit_catalogue_path
    with sessions() as session:
        try:
            version = ensure_catalogue(session, seed, source=str(path) if path else "default")
        except DBAPIError as exc:
            log.warning("benefit catalogue not seeded: the database is unavailable (%s)", exc.orig or exc)
            return
        if path is not None:
            current = catalogue_version(session, version).catalogue
            if catalogue_json(current) != catalogue_json(seed):
                log.warning(
                    "benefit_catalogue_path %s differs from the database's catalogue version %d, which "
                    "the service uses; the file only seeds an empty database (lucidscore catalogue set "
                    "FILE sets a new version)",
                    path,
                    version,
                )


def service_engine(settings: Settings) -> Engine:
    """The service's engine: exactly ``db_pool_size`` connections, as many as requests admitted at once."""
    return make_engine(
        settings.db_url, pool_size=settings.db_pool_size, pool_timeout=settings.db_pool_timeout_seconds
    )


def app_from_environment() -> FastAPI:
    """App factory for ``uvicorn --factory`` and multi-worker serving: settings from ``LUCIDSCORE_*``
    variables. Rescoring (disputes, model activation) is always on, in the newest published month."""
    settings = Settings()
    app = create_app(settings, rescorer=PipelineRescorer(settings.db_url, settings.as_of))  # per shard too
    settle_heap()  # each worker process builds its app here, once, before it serves
    return app
