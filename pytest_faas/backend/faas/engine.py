"""The FaaS engine: packages, services, executions, triggers, cron and logs, wired together.

Each part lives in its own module and knows only what it needs; this module builds them, connects their
listeners (a pushed package restarts the services running it, a changed service starts or stops its
replicas, a data change fires triggers, a new cron trigger is scheduled) and recovers the execution queue
of a data dir the platform ran on before.

The engine never starts runner processes itself. :meth:`Engine.attach` gives it a
:class:`~pytest_faas.backend.faas.dispatch.Runners` (the placements, connected by :mod:`pytest_faas.local`),
and placements report dead replicas back through :meth:`Engine.replica_died`.
"""

from __future__ import annotations

import logging
import threading

from .cron import Clock, Cron
from .dispatch import Dispatcher, NullRunners, Runners
from ..events import Event, EventBus
from ...protocol import QUEUED, TERMINAL
from .executions import Executions
from .logs import Logs
from .packages import Packages
from ..data.projects import Projects
from .services import Services
from ..store import Store
from .triggers import Triggers

__all__ = ["Engine", "Runners"]

log = logging.getLogger(__name__)


class Engine:
    """The FaaS side of one platform.

    Args:
        store: the platform's store (executions are durable when it is).
        bus: the data plane's event bus, for event triggers.
        projects: project and dataset records.
        clock: the cron clock (aware UTC datetimes); the real clock by default.
        lease_s: an agent that calls nothing for this long is declared dead.
        get_grace_s: how long ``GET /executions/{id}`` waits for a running execution to finish before
            answering. dtlpy's ``wait()`` sleeps 2 s or more after a non-final answer, so a short wait here
            makes ``service.execute(sync=True)`` return in milliseconds for a quick function.
    """

    def __init__(self, store: Store, bus: EventBus, projects: Projects, *, clock: Clock | None = None,
                 lease_s: float = 30.0, get_grace_s: float = 1.0):
        self.store = store
        self.get_grace_s = get_grace_s
        lock = threading.RLock()
        self.cond = threading.Condition(lock)
        changed, work = threading.Condition(lock), threading.Condition(lock)
        self.logs = Logs(store)
        self.packages = Packages(store, projects)
        self.services = Services(store, projects, self.packages)
        self.executions = Executions(store, projects, self.packages, self.services, self.logs, self.cond,
                                     changed, work)
        self.logs.is_terminal = self.executions.is_terminal
        self.dispatch = Dispatcher(self.executions, self.services, self.cond, lease_s)
        self.triggers = Triggers(store, projects, self.packages, self.services, self.executions)
        self.cron = Cron(self.triggers, clock)
        self.packages.listeners.append(self.services.package_changed)
        self.services.listeners.append(self._on_service)
        self.triggers.listeners.append(self.cron.schedule)
        bus.subscribe(self.triggers.on_event)
        self.executions.recover()
        self.dispatch.start()
        self.cron.start()

    def _on_service(self, action: str, service: dict) -> None:
        if action == "delete":
            self.triggers.delete_for_service(service["id"])
        self.dispatch.on_service(action, service)

    # -- placements -----------------------------------------------------------------------------------

    def attach(self, runners: Runners) -> None:
        """Connect the placements and start the replicas of every active service."""
        self.dispatch.runners = runners
        self.dispatch.closing = False
        for service in self.services.all():
            if service.get("active"):
                runners.start(service)

    def detach(self) -> None:
        """Disconnect the placements and tell every agent to stop (before the placements close)."""
        self.dispatch.runners = NullRunners()
        with self.cond:
            self.dispatch.closing = True
            for agent in self.dispatch.agents.values():
                agent.stopping = True
            self.dispatch.wake_agents()

    def replica_died(self, service_id: str, replica: int, reason: str, **identity) -> int:
        """A placement's report that a replica's runner is gone (see :meth:`Dispatcher.replica_died`)."""
        return self.dispatch.replica_died(service_id, replica, reason, **identity)

    def service_failed(self, service_id: str, message: str) -> None:
        """A placement's report that the service cannot run (see :meth:`Dispatcher.service_failed`)."""
        self.dispatch.service_failed(service_id, message)

    # -- convenience for tests and the CLI ------------------------------------------------------------

    def wait(self, execution_id: str, timeout: float = 30.0) -> dict:
        """The execution's record once it is final (or after ``timeout`` seconds), in platform JSON."""
        return self.executions.public(self.executions.wait(execution_id, timeout))

    def delete_package(self, package_id: str) -> dict:
        """Delete a package and, first, the services that run it."""
        for service in self.services.all():
            if service["packageId"] == package_id:
                self.services.delete(service["id"])
        return self.packages.delete(package_id)

    def on_project_deleted(self, event: Event) -> None:
        """Bus listener: a deleted project takes its services (their replicas stop), triggers and packages."""
        if (event.resource, event.action) != ("Project", "Deleted"):
            return
        for service in self.store.children("services", event.project_id):
            self.services.delete(service["id"])  # stops its replicas; its triggers go with it
        for trigger in self.store.children("triggers", event.project_id):
            self.triggers.delete(trigger["id"])
        for package in self.store.children("packages", event.project_id):
            self.delete_package(package["id"])

    def close(self) -> None:
        """Stop the threads; executions still running end as the platform stopping under them."""
        self.cron.close()
        self.dispatch.close()
        with self.cond:
            for doc in self.store.all("executions"):
                if doc["latestStatus"]["status"] not in TERMINAL | QUEUED:
                    self.executions.end(doc, "platform")
