"""Pod types: the platform's ``runtime.podType`` names mapped to a container's CPU and memory limits.

Policy, kept apart from the docker SDK boundary (`pytest_faas.placements.docker.engine`) that applies it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Resources:
    """CPU and memory limits for a replica container."""

    cpus: float
    memory: str  # docker notation: "512m", "2g"


# The cloud's pod types scaled to a developer machine: the same ordering and ratios (xs < s < m < l;
# highmem has 4x the memory of regular at the same size; highcpu more CPU than memory), small enough that
# a laptop can run a few replicas. These are local approximations, not the cloud's numbers. No GPU is
# given to gpu-* pods; they only get their CPU/memory share. CPUs are capped at what the engine has.
POD_TYPES: dict[str, Resources] = {
    "regular-xs": Resources(1, "1g"),
    "regular-s": Resources(1, "2g"),
    "regular-m": Resources(2, "4g"),
    "regular-l": Resources(4, "8g"),
    "highmem-xs": Resources(1, "4g"),
    "highmem-s": Resources(2, "8g"),
    "highmem-m": Resources(4, "16g"),
    "highmem-l": Resources(8, "32g"),
    "highcpu-xs": Resources(2, "1g"),
    "gpu-t4": Resources(4, "16g"),
    "gpu-t4-m": Resources(8, "32g"),
}
DEFAULT_POD_TYPE = "regular-s"  # the platform's default (KubernetesRuntime)


def resources_for(pod_type: str | None, engine_cpus: int | None = None) -> Resources:
    """The limits for a podType (unknown names get the default's, with a warning)."""
    name = pod_type or DEFAULT_POD_TYPE
    res = POD_TYPES.get(name)
    if res is None:
        log.warning("unknown podType %r: using %s limits", name, DEFAULT_POD_TYPE)
        res = POD_TYPES[DEFAULT_POD_TYPE]
    if engine_cpus and res.cpus > engine_cpus:
        res = Resources(float(engine_cpus), res.memory)
    return res
