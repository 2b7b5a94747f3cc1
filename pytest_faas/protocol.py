"""Words the platform and its runner agents share: statuses, limits, messages, the log end marker.

The backend and the runtime never import each other (agents are HTTP clients); both import this.
"""

from __future__ import annotations

import json
import re
from pathlib import PurePosixPath, PureWindowsPath

TERMINAL = frozenset({"success", "failed", "terminated", "aborted", "canceled", "system-failure"})
QUEUED = frozenset({"created", "rerun"})
# Every status the platform writes itself; any other statusLog entry is a progress.update of the function.
PLATFORM_STATUSES = TERMINAL | QUEUED | {"in-progress"}

# dl.PackageInputType's entity types (docs/platform.md#input-types): the inputs an agent fetches by id.
ENTITY_TYPES = ("Dataset", "Item", "Annotation", "Execution", "Task", "Assignment", "Service", "Package",
                "Project", "Recipe", "Model")

# Event trigger resources and the actions the platform accepts on each (docs/platform.md#event-triggers); the
# backend refuses other pairs and the service.json checks point at them.
TRIGGER_ACTIONS = {
    "Item": ("Created", "Updated", "Deleted", "Clone"),
    "Dataset": ("Created", "Updated", "Deleted"),
    "Annotation": ("Created", "Updated", "Deleted"),
    "ItemStatus": ("Updated", "taskAssigned"),
    "Task": ("Created", "Updated", "Deleted", "statusChanged"),
    "Assignment": ("Created", "Updated", "Deleted", "statusChanged"),
}
ALL_TRIGGER_ACTIONS = ("Created", "Updated", "Deleted", "Clone", "statusChanged", "taskAssigned")

# Package and service names, as the platform's naming check (`GET /piper-misc/naming/...`) accepts them:
# lower-case letters, digits and hyphens, starting with a letter, not ending with a hyphen, at most 35 long.
MAX_FAAS_NAME = 35


def faas_name_problem(name: str, kind: str = "package") -> str | None:
    """Why the platform refuses ``name`` for a package or a service (its own words first), or None."""
    if len(name) > MAX_FAAS_NAME:
        return f"Name must be at most {MAX_FAAS_NAME} characters: {name!r} has {len(name)}"
    first, last = name[:1], name[-1:]
    if not (first.isascii() and first.islower() and all(c.isascii() and (c.islower() or c.isdigit() or c == "-")
                                                        for c in name) and last != "-"):
        suggestion = "-".join(part for part in "".join(c if c.isascii() and c.isalnum() else "-"
                                                       for c in name.lower()).split("-") if part)
        hint = f" (e.g. {suggestion!r})" if suggestion and suggestion[0].isalpha() else ""
        return (f"Invalid {kind} name: {name!r}: use lower-case letters, digits and hyphens, starting with a "
                f"letter and not ending with a hyphen{hint}")
    return None


END_MARKER = "[Done] Executing function."
TRACEBACK_HEADER = "Traceback (most recent call last):"


def printed_traceback(message: str) -> str:
    """A failure message (``Error: text``, a blank line, then the traceback ending with the same error) as
    Python prints the exception: the traceback once, the error once. A message whose first line adds to the
    error (a hint) is kept whole."""
    first, found, rest = message.partition(f"\n\n{TRACEBACK_HEADER}\n")
    if not found:
        return message
    printed = f"{TRACEBACK_HEADER}\n{rest}"
    return printed if printed.endswith(first) else message
MAX_OUTPUT_BYTES = 4 * 1024 * 1024
OUTPUT_TOO_LARGE = ("The function execution was successful, but the output couldn't be saved because it was "
                    "larger than the maximum size allowed of 4.0MB")
NOT_SERIALISABLE = "The function's output is not JSON serialisable"
TIMEOUT_MESSAGE = "Execution stopped due to runner timeout"
# Said next to TIMEOUT_MESSAGE (the platform's own words) wherever a person reads it.
TIMEOUT_HINT = ("the limit is the service's executionTimeout, in seconds (default 3600): set \"executionTimeout\" "
                "in service.json, or execution_timeout= in package.deploy")
TERMINATION_SIGNAL = "Execution received termination signal"
# The first line of what an agent logs when the platform asks where a timed-out function is; the platform
# ends the execution as soon as that is in its log (or after STACK_WAIT_S without it).
STACK_MARK = "[faas] the function was here when its time ran out:"
STACK_WAIT_S = 3.0

# An agent that could not load its code exits with this, so its placement does not restart it in a loop.
EXIT_STARTUP_FAILED = 86

AGENT_ROUTES = "/_faas/agents"


def output_problem(output) -> str | None:
    """Why the platform cannot store an output (not JSON, or over 4 MB), or None when it can."""
    try:
        size = len(json.dumps(output, separators=(",", ":"), allow_nan=False).encode())
    except (TypeError, ValueError) as exc:
        where = _first_unserialisable(output, "output")
        hint = f" (at {where[0]}: a {where[1]}; return plain JSON values: dict, list, str, number, bool, None)" \
            if where else ""
        return f"{NOT_SERIALISABLE}: {exc}{hint}"
    except RecursionError:
        return f"{NOT_SERIALISABLE}: it is nested too deeply (or contains itself)"
    return OUTPUT_TOO_LARGE if size > MAX_OUTPUT_BYTES else None


def _first_unserialisable(value, path: str, depth: int = 0) -> tuple[str, str] | None:
    """Where in ``value`` the first thing JSON cannot hold is, e.g. ``('output["boxes"][2]', 'ndarray')``."""
    if depth > 64:
        return None
    if value is None or isinstance(value, (str, bool, int)):
        return None
    if isinstance(value, float):
        return None if value == value and value not in (float("inf"), float("-inf")) else (path, f"float {value}")
    if isinstance(value, (list, tuple)):
        for n, element in enumerate(value):
            found = _first_unserialisable(element, f"{path}[{n}]", depth + 1)
            if found:
                return found
        return None
    if isinstance(value, dict):
        for key, element in value.items():
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                return f"{path} key {key!r}", type(key).__name__
            found = _first_unserialisable(element, f"{path}[{json.dumps(str(key))}]", depth + 1)
            if found:
                return found
        return None
    return path, type(value).__name__

# Every replica is an agent: a thread, a process or a container of this machine. Per service they are at most
# 32; in all, the active services run at most MAX_TOTAL_REPLICAS. The platform's refusal past it says
# REPLICA_BOUND_SAID, which the case runner reads to make room (pause its least recently used services).
MAX_TOTAL_REPLICAS = 128
REPLICA_BOUND_SAID = "replicas in all"

# Environment variables of a service (service.json's ``env``, an env file): a name as a shell takes it, a
# string value; bounded so that a registration stays small.
ENV_NAME_PATTERN = r"[A-Za-z_][A-Za-z0-9_]*"
MAX_ENV_VARS = 256
MAX_ENV_BYTES = 256 * 1024
# Variables that change how the runner itself starts, finds its code and reaches the platform: a service
# that set them would break its own agent (PATH, LD_PRELOAD), load other code (PYTHONPATH), or send dtlpy's
# login elsewhere (HOME, DATALOOP_PATH). The platform's, never a service's: refused wherever env is given.
RUNNER_ENV_NAMES = frozenset({
    "PATH", "HOME", "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP",
    "PYTHONSAFEPATH", "PYTHONUSERBASE", "PYTHONNOUSERSITE", "PYTHONEXECUTABLE", "PYTHONPLATLIBDIR",
    "DATALOOP_PATH", "FAAS_TOKEN", "FAAS_AGENT_TOKEN", "FAAS_URL", "FAAS_SOCKET", "FAAS_FORWARD_LISTEN",
    "FAAS_CODE_CACHE", "FAAS_CACHE_DIR"})


def env_name_problem(name: str) -> str | None:
    """Why a service may not set variable ``name`` (one of `RUNNER_ENV_NAMES`), or None."""
    if name in RUNNER_ENV_NAMES:
        return (f"{name} is the runner's own: it changes how the agent starts, finds its code or reaches the "
                "platform; give the value another name and read that in the code")
    return None


def env_size_problem(env: dict[str, str]) -> str | None:
    """Why ``env`` is more than a service may have (count, bytes), or None."""
    size = sum(len(name) + len(value.encode("utf-8", "surrogatepass")) for name, value in env.items())
    if len(env) > MAX_ENV_VARS or size > MAX_ENV_BYTES:
        return (f"{len(env)} variables of {size} bytes: at most {MAX_ENV_VARS} variables of {MAX_ENV_BYTES} "
                "bytes in all")
    return None

# What a ready container's agent prints once its imports are done (the docker placement waits for it).
READY_LINE = "[faas] agent ready"


def runner_image_fallback(image: str, base: str = "its bare base image") -> str:
    """What the docker placement does with a service's runnerImage that is not present locally (nothing is
    pulled), what the run then lacks, and the fix: said at ::manifest and with each failure."""
    if "opencv" in image.lower():
        missing, instead = "OpenCV (`import cv2` fails there)", "or add opencv-python-headless to requirements.txt"
    else:
        missing, instead = "the image's own packages", "or list what the code needs in requirements.txt"
    return (f"When runnerImage {image!r} is not present locally, the docker placement runs on {base} instead, "
            f"without {missing}: `docker pull {image}` (or `docker load` it) before the run, {instead}.")

# Set by a placement whose runner is not what the service asked for (docker: a runnerImage not present
# locally, replaced by a bare base): every failure of the replica ends with it.
RUNNER_NOTE = "FAAS_RUNNER_NOTE"

# -- where a package's code comes from: one rule for the manifests' checks and the platform's routes --------

# Folders of the machine itself: a filesystem codebase there would run (or read) the system's files as code.
SYSTEM_FOLDERS = ("/etc", "/proc", "/sys", "/dev", "/boot", "/root", "/run", "/var/run", "/var/lib", "/usr", "/bin",
                  "/sbin", "/lib", "/lib32", "/lib64")
# git URLs that reach a server; file:// or a bare path would clone a folder of the platform's own machine.
GIT_URL_PATTERN = r"(https?|ssh|git)://[^/\s]+/\S+|[\w.-]+@[\w.-]+:\S+"


ENTRY_POINT_EXPECTED = "a relative path to a .py file inside the package, e.g. 'main.py'"


def entry_point_ok(value) -> bool:
    """Whether ``value`` names a .py file inside the codebase (relative, no '..'), as a module's entryPoint must."""
    if not isinstance(value, str) or not value:
        return False
    path = PurePosixPath(value.replace("\\", "/"))
    inside = bool(path.parts) and not path.is_absolute() and not PureWindowsPath(value).is_absolute() \
        and ".." not in path.parts
    return inside and path.suffix in ("", ".py")  # the runner imports "main" as it imports "main.py"


def codebase_problem(codebase) -> tuple[str, str] | None:
    """``(key, what it must be)`` when a package's or app's ``codebase`` takes code from where none may come
    from: a git URL that is no server's, a filesystem or local folder that is relative, climbs with '..' or
    is the system's. None when it may."""
    if not isinstance(codebase, dict):
        return None
    kind = codebase.get("type")
    if kind == "git" and not (isinstance(codebase.get("gitUrl"), str) and
                              re.fullmatch(GIT_URL_PATTERN, codebase["gitUrl"])):
        return "gitUrl", ("the URL of a git server (https://, ssh:// or user@host:path); file:// and paths would "
                          "clone a folder of the platform's machine")
    for key in ("hostPath", "containerPath", "localPath") if kind in ("filesystem", "local") else ():
        path = codebase.get(key)
        if path is None:
            continue
        parts = PurePosixPath(path).parts if isinstance(path, str) else ("..",)
        if not isinstance(path, str) or not path.startswith("/") or ".." in parts:
            return key, "an absolute folder path without '..'"
        folder = "/" + "/".join(parts[1:])  # "//etc/./x" is "/etc/x"
        if folder == "/" or any(folder == f or folder.startswith(f + "/") for f in SYSTEM_FOLDERS):
            return key, "the folder of the package's code, not a system folder (/, /etc, /proc, /usr, ...)"
    return None
