"""What marks a container as ours, and the paths a runner container is built around.

Every container pytest-faas starts carries ``pytest-faas=1`` plus its platform, service, replica and owner
(host:pid), so that a sweep removes ours, and only ours, after a crash; and one kept on purpose
(``--faas-keep``) is left alone. The paths and port are the contract between the runner image (see
`images`), its entry script and the placement (see `containers`).
"""

from __future__ import annotations

import os
import re
import socket

LABEL = "pytest-faas"
LABEL_PLATFORM = "pytest-faas.platform"
LABEL_SERVICE = "pytest-faas.service"
LABEL_REPLICA = "pytest-faas.replica"
LABEL_OWNER = "pytest-faas.owner"  # host:pid of the process whose platform started it
LABEL_KEEP = "pytest-faas.keep"  # kept on purpose (--faas-keep): the orphan sweep leaves it alone

RUN_DIR = "/faas/run"  # where the host's socket folder is mounted in a runner container
DEFAULT_SOCKET_NAME = "platform.sock"
FORWARD_PORT = 8799  # the forwarder's port inside the container: http://127.0.0.1:8799/api/v1
FORWARDER_READY = "/tmp/faas-forwarder.ready"  # the entry script's forwarder touches it once listening
RUNNER_USER = "faas"


def owner() -> str:
    """This process, as the owner label names it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_gone(label: str | None) -> bool:
    """Whether the owner named by a label is a process of this host that no longer runs."""
    host, _, pid = (label or "").rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's, or unlabelled: not ours to judge
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # it runs, as another user
        return False
    return False


def labels(platform_id: str, service_id: str | None = None, replica: int | None = None) -> dict[str, str]:
    """The labels that mark a container as ours."""
    out = {LABEL: "1", LABEL_PLATFORM: str(platform_id), LABEL_OWNER: owner()}
    if service_id is not None:
        out[LABEL_SERVICE] = str(service_id)
    if replica is not None:
        out[LABEL_REPLICA] = str(replica)
    return out


def container_name(*parts: object) -> str:
    return re.sub(r"[^a-zA-Z0-9_.-]+", "-", "-".join(str(p) for p in parts)).strip("-.")[:120]
