"""The local platform: a store, the data plane, the FaaS engine and the HTTP servers that expose them.

`Backend` owns every piece and knows nothing of how agents are started (that is ``placements/``, wired to
it by :mod:`pytest_faas.local`). Its attributes are the backend's Python API, used by tests and by the
CLI's embedded mode; over HTTP the same objects answer through the routing tables.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..tokens import AGENT, FUNCTION, derive_token
from .data.annotations import Annotations
from .apps.routes import app_routes
from .apps.installs import Apps
from .data.bulk import Bulk
from .data.clones import Clones
from .faas.control import control_routes
from .apps.dpks import Dpks
from .faas.engine import Engine
from .events import EventBus
from .data.exports import Exports
from .faas.routes import faas_routes
from .web.wsgi import PlatformApp
from .data.items import Items
from .page.live import Feed, live_routes
from .data.lifecycle_routes import lifecycle_routes
from .data.ontologies import Ontologies
from .page.routes import page_routes
from .pipelines.executions import PipelineRuns
from .pipelines.routes import pipeline_routes
from .pipelines.triggers import PipelineTriggers
from .pipelines.graph import Pipelines
from .data.projects import Projects
from .data.recipe_routes import recipe_routes
from .data.recipes import Recipes
from .data.removal import Removal
from .data.routes import data_routes
from .data.schemas import Schemas
from .data.seeding import Seeder, seed_routes
from .web.server import ServerThread
from .faas.service_env import ServiceEnv
from .faas.service_revisions import ServiceRevisions
from .store import Store
from .web.unsupported import unsupported_routes
from .data.urls import item_urls_absolute, thumbnail_routes

__all__ = ["Backend"]


class Backend:
    """Everything the platform stores and answers, for one data dir.

    Args:
        data_dir: where the SQLite file and blobs live; ``None`` for a temporary folder removed on close.
        token: the platform's own bearer token; the agents' and the functions' are derived from it.
        durable: False keeps documents in an in-memory database (faster; lost on close).
        service_env: environment variables every service's agents set (a service's own override them).
        **engine_options: passed to :class:`~pytest_faas.backend.faas.engine.Engine` (``clock``, ``lease_s``,
            ``get_grace_s``).
    """

    def __init__(self, token: str, data_dir: str | os.PathLike | None = None, durable: bool = True,
                 service_env: dict[str, str] | None = None, **engine_options):
        self.token = token
        # The narrower tokens (what each reaches: http.REACH): the agents' and the one functions get.
        self.agent_token = derive_token(token, AGENT)
        self.function_token = derive_token(token, FUNCTION)
        self.store = Store(data_dir, durable=durable)
        self.bus = EventBus()
        self.ontologies = Ontologies(self.store)
        self.recipes = Recipes(self.store, self.ontologies)
        self.projects = Projects(self.store, self.bus, self.recipes)
        self.items = Items(self.store, self.bus, self.projects)
        self.schemas = Schemas(self.store, self.projects)
        self.bus.subscribe(self.schemas.on_event)
        self.annotations = Annotations(self.store, self.bus, self.projects, self.items)
        self.exports = Exports(self.store, self.projects, self.items, self.annotations)
        self.seeder = Seeder(self.projects, self.items, self.annotations)
        self.engine = Engine(self.store, self.bus, self.projects, **engine_options)
        self.service_env = ServiceEnv(self.store, self.engine.services, service_env)
        self.service_revisions = ServiceRevisions(self.store, self.engine.services)
        self.pipelines = Pipelines(self.store, self.projects, self.engine.packages, self.engine.services)
        self.clones = Clones(self.store, self.projects, self.items, self.annotations)
        self.pipeline_runs = PipelineRuns(self.store, self.pipelines, self.engine.executions, self.items,
                                          self.clones.into_dataset)
        self.bus.subscribe(PipelineTriggers(self.store, self.pipeline_runs).on_event)
        self.engine.triggers.also_listed = self.pipelines.trigger_views
        self.dpks = Dpks(self.store, self.projects)
        self.feed = Feed(self.store)  # the page's live changes; watches the store from the first stream on
        self.apps = Apps(self.store, self.projects, self.dpks, self.engine.packages, self.engine.services,
                         self.engine.triggers)
        self.bulk = Bulk(self.items, self.annotations)
        self.removal = Removal(self.store, self.bus, self.projects, self.items)
        # A deleted project takes what runs in it first: apps (what each made), then pipelines, then the
        # engine's services, triggers and packages. The bus calls listeners in the order they subscribed.
        for listener in (self.apps.on_project_deleted, self.pipelines.on_project_deleted,
                         self.engine.on_project_deleted):
            self.bus.subscribe(listener)
        self.app = PlatformApp(token, self._routes(),
                               tokens={self.agent_token: AGENT, self.function_token: FUNCTION})
        # The page `faas serve` shows at its root (the platform's token only, as a cookie after the first call).
        self.app.add_routes(page_routes(token), prefix="", reach="page")
        self._servers: list[ServerThread] = []

    def _routes(self) -> list:
        """Every REST route under ``/api/v1``: each table gets the domain objects it serves."""
        data_plane = item_urls_absolute(
            data_routes(self.projects, self.items, self.annotations, self.exports, self.bulk)
            + thumbnail_routes(self.items)) + recipe_routes(self.projects, self.recipes, self.ontologies, self.schemas)
        engine = self.engine
        return (data_plane + lifecycle_routes(self.removal, self.clones, self.projects, self.store)
                + seed_routes(self.seeder) + faas_routes(engine, self.projects, self.store, self.service_revisions)
                + app_routes(self.dpks, self.apps) + control_routes(engine, self.service_env, self.function_token)
                + pipeline_routes(self.pipelines, self.pipeline_runs) + live_routes(self.feed) + unsupported_routes())

    @property
    def data_dir(self) -> Path:
        return self.store.data_dir

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> ServerThread:
        """Start serving on a TCP address (or ``unix:///path``) in a daemon thread; returns the server."""
        server = ServerThread(self.app, host, port, gate=self.app.screen).start()
        self._servers.append(server)
        return server

    def close(self) -> None:
        self.feed.close()
        self.engine.close()
        for server in self._servers:
            server.stop()
        self._servers.clear()
        self.store.close()
