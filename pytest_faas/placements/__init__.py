"""Where runner agents live: a thread of this process, a process per replica, or a container per replica.

Every placement runs the same :class:`~pytest_faas.runner.agent.Agent`, which talks to the platform over
HTTP only; they differ in how an agent is started, stopped and killed, the hooks of the one
:class:`~pytest_faas.placements.supervisor.Supervisor` that keeps their replicas, reports the dead to the
engine (``on_died``, the engine's ``replica_died``, connected by :mod:`pytest_faas.local`) and restarts
them with backoff. A platform runs all its services in one placement: :mod:`pytest_faas.local` builds it
(``thread``: :mod:`.thread`, ``subprocess``: :mod:`.process`, ``docker``: :mod:`.docker.containers`) and
attaches it to the engine.
"""

NAMES = ("thread", "subprocess", "docker")
