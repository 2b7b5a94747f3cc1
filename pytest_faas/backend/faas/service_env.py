"""Environment variables of services: what an agent sets before it loads a service's code.

The platform has no plain environment variables on a service (its ``integrations`` inject secrets from the
organisation's vault), so these are the local platform's own: kept apart from the service record, which
dtlpy reads and writes back whole, so that no ``service.update()`` drops them and no ``services.get``
shows their values. Each service has its own (``PUT /_faas/services/{id}/env``, kind ``service_env``); the
platform may have defaults for every service (``faas serve --env-file``, ``pytest --faas-env-file``), which
a service's own override. A change restarts the service's replicas, since variables are read at start.
"""

from __future__ import annotations

import re

from ...errors import BadRequest
from ...protocol import ENV_NAME_PATTERN, env_name_problem, env_size_problem
from .services import Services
from ..store import Store

_NAME = re.compile(ENV_NAME_PATTERN)


def check_env(env: object, what: str = "env") -> dict[str, str]:
    """``env`` as a ``{NAME: value}`` of strings, or a 400 naming the first wrong entry."""
    if not isinstance(env, dict):
        raise BadRequest(f"'{what}' must be an object of NAME: value strings, found {type(env).__name__}")
    for name, value in env.items():
        if not _NAME.fullmatch(name):
            raise BadRequest(f"'{what}': {name[:80]!r} is not a variable name (letters, digits and _, not "
                             "starting with a digit)")
        if not isinstance(value, str) or "\0" in value:
            raise BadRequest(f"'{what}.{name}' must be a string without NUL characters")
        if problem := env_name_problem(name):
            raise BadRequest(f"'{what}.{name}': {problem}")
    if problem := env_size_problem(env):
        raise BadRequest(f"'{what}' has {problem}")
    return dict(env)


class ServiceEnv:
    """Each service's own variables, over the platform's defaults."""

    def __init__(self, store: Store, services: Services, defaults: dict[str, str] | None = None):
        self.store = store
        self.services = services
        self.defaults = check_env(defaults or {}, "defaults")
        services.listeners.append(self._on_service)

    def _on_service(self, action: str, service: dict) -> None:
        if action == "delete":  # the variables go with their service
            self.store.delete("service_env", service["id"])

    def own(self, service_id: str) -> dict[str, str]:
        self.services.get(service_id)  # a 404 for a service that is not there
        return dict((self.store.find("service_env", service_id) or {}).get("env") or {})

    def of(self, service_id: str) -> dict[str, str]:
        """What the service's agents set: the defaults, then its own."""
        return {**self.defaults, **self.own(service_id)}

    def set(self, service_id: str, env: object) -> dict[str, str]:
        """Replace the service's own variables; its replicas restart when they changed."""
        checked = check_env(env)
        if checked == self.own(service_id):
            return checked
        if checked:
            self.store.put("service_env", {"id": service_id, "env": checked}, parent=service_id)
        else:
            self.store.delete("service_env", service_id)
        self.services.restart(service_id)
        return checked
