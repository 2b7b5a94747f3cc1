"""Calling a user's function the way the platform does (docs/platform.md#the-function-call).

- Inputs are resolved by their declared type: an entity (``Item``, ``Dataset``, ...) from an id string
  or a ``{"<type>_id": ...}`` dict, each element of an ``X[]`` list the same way (a single value becomes a
  one-element list), and primitives (``Json``, ``String``, ...) exactly as given.
- ``progress`` and ``context`` are passed when the signature has parameters of those names.
- The return value becomes the output: entities become their id dicts, and the result must be JSON and at
  most 4 MB.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import os
import re
import sysconfig
import traceback
from pathlib import Path

import dtlpy as dl

from ..protocol import ENTITY_TYPES, RUNNER_NOTE, STACK_MARK, output_problem
from .capture import encodable
from .client import RequestFailed

_RUNTIME_DIR = str(Path(__file__).resolve().parent)
# The frames between the agent and the user's module when it is imported: importlib's own.
_HARNESS = (_RUNTIME_DIR, str(Path(importlib.__file__).resolve().parent), "<frozen importlib")


class InputError(Exception):
    """An input cannot be resolved or is missing; the message names the input and what was found."""


class AgentProgress(dl.Progress):
    """`dl.Progress` whose ``update`` is the platform's ``POST /executions/{id}/progress``."""

    def __init__(self, client, execution_id: str, logger: logging.Logger):
        self._client = client
        self._execution_id = execution_id
        self.logger = logger

    def update(self, status=None, progress=0, message=None, output=None, duration=None, action=None):
        # The same defaults as dtlpy's executions.progress_update.
        if status is None:
            status = "completed" if (isinstance(progress, int) and progress >= 100) or output is not None \
                else "inProgress"
        payload = {"status": status}
        if progress is not None:
            payload["percentComplete"] = progress
        for key, value in (("message", message), ("output", output), ("duration", duration), ("action", action)):
            if value is not None:
                payload[key] = value
        self._client.post(f"/executions/{self._execution_id}/progress", encodable(payload))


# Types whose repository ``get`` is one ``GET /<route>/{id}`` and the entity's ``from_json``: the agent
# makes that GET with its own client and builds the same entity. dtlpy's request path cost about 3 ms of
# CPU a call here (it inspects the caller's stack and reads proxy settings from the environment on every
# request), more than the rest of a no-op execution, and a trigger resolves an entity for every one.
_FETCHED_BY_AGENT = {"Item": "/items/", "Dataset": "/datasets/", "Execution": "/executions/",
                     "Service": "/services/", "Package": "/packages/", "Project": "/projects/"}


def _entity(type_name: str, value, input_name: str, client=None):
    key = f"{type_name.lower()}_id"
    entity_id = value.get(key) if isinstance(value, dict) else value
    if not isinstance(entity_id, str) or not entity_id:
        raise InputError(f"input {input_name!r} is declared {type_name}: it needs an id string or "
                         f"{{{key!r}: <id>}}, found {value!r}")
    def missing() -> InputError:
        return InputError(f"input {input_name!r}: {type_name} {entity_id!r} was not found on the platform")

    route = _FETCHED_BY_AGENT.get(type_name)
    if client is not None and route is not None:
        try:
            found = client.get(route + entity_id)
        except RequestFailed as exc:
            if exc.status in (400, 404):  # 400: an id of the wrong shape, which names nothing either
                raise missing() from None
            raise
        extra = {"project": None} if type_name == "Dataset" else {}  # Dataset.from_json requires it
        return getattr(dl, type_name).from_json(_json=found, client_api=dl.client_api, **extra)
    repository = getattr(dl.repositories, f"{type_name}s")(client_api=dl.client_api)
    try:
        return repository.get(**{key: entity_id})
    except (dl.exceptions.NotFound, dl.exceptions.BadRequest):
        raise missing() from None


def resolve(declared: list[dict], inputs: dict, accepts, client=None) -> dict:
    """Keyword arguments for the call: declared inputs resolved by type, others passed as given.

    Args:
        declared: the function's ``input`` FunctionIO list from package.json.
        inputs: the execution's ``input``.
        accepts: ``name -> bool``, whether the function takes a keyword of that name.
        client: the agent's :class:`~.client.PlatformClient`, to fetch entities with; without it, every
            entity is fetched through dtlpy's repositories.
    """
    kwargs = {}
    types = {io.get("name"): io.get("type") for io in declared or []}
    for name, value in (inputs or {}).items():
        type_name = types.get(name)
        base = (type_name or "").removesuffix("[]")
        if base in ENTITY_TYPES and value is not None:
            if type_name.endswith("[]"):
                kwargs[name] = [_entity(base, v, name, client) for v in (value if isinstance(value, list) else [value])]
            else:
                kwargs[name] = _entity(base, value, name, client)
        elif type_name is not None or accepts(name):
            kwargs[name] = value
    return kwargs


class Signature:
    """What a method accepts, read once per function."""

    def __init__(self, method):
        parameters = inspect.signature(method).parameters
        self.names = set(parameters)
        self.var_kw = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
        self.required = [n for n, p in parameters.items()
                         if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]

    def accepts(self, name: str) -> bool:
        return self.var_kw or name in self.names

    def check(self, function_name: str, kwargs: dict, inputs: dict) -> None:
        missing = [n for n in self.required if n not in kwargs]
        if missing:
            raise InputError(f"function {function_name!r} needs input {missing[0]!r}, but the execution has "
                             f"{sorted(inputs) or 'no inputs'}")


def execution_logger() -> logging.Logger:
    logger = logging.getLogger("faas.execution")
    logger.setLevel(logging.DEBUG)  # what the user logs here reaches the capture whatever the root level
    return logger


def context(service: dl.Service, package: dict, execution: dict, progress) -> dl.Context:
    """The ``context`` argument, as the platform's runner builds it for one execution."""
    project = dl.Project.from_json(_json={"id": execution["projectId"]}, client_api=dl.client_api, is_fetched=False)
    return dl.Context(service=service, package=dl.Package.from_json(_json=package, client_api=dl.client_api),
                      project=project, event_context=execution.get("eventContext"),
                      execution_dict=dict(execution, trigger_id=execution.get("triggerId")),
                      progress=progress, logger=execution_logger(), sdk=dl)


def to_output(result):
    """Entities become their id dicts (the platform stores references); everything else is kept."""
    if isinstance(result, (list, tuple)):
        return [to_output(r) for r in result]
    name = type(result).__name__
    if name in ENTITY_TYPES and hasattr(result, "id") and not isinstance(result, dict):
        value = {f"{name.lower()}_id": result.id}
        if name in ("Item", "Annotation") and getattr(result, "dataset_id", None):
            value["dataset_id"] = result.dataset_id
        return value
    return result


def output_error(output) -> str | None:
    return output_problem(output)


STARTUP_LINES = 40  # of what a failing start printed, kept in its message


def startup_failure(exc: BaseException, printed: list[str]) -> str:
    """Why the code could not start, then what it printed as it started (often the reason)."""
    from .loader import LoadError  # noqa: PLC0415

    message = str(exc) if isinstance(exc, LoadError) else user_traceback(exc)
    if printed:
        message += "\n\nWhat the code printed as it started:\n" + "\n".join(printed[-STARTUP_LINES:])
    return message


def noted(message: str | None) -> str | None:
    """A failure's message, ending with why the runner is not the one the service asked for, if it is not."""
    note = os.environ.get(RUNNER_NOTE)
    return f"{message}\n\n{note}" if note and message else message


def user_traceback(exc: BaseException) -> str:
    """``Type: message`` then the traceback without the agent's own frames."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.startswith(_HARNESS)]
    text = "".join(traceback.format_list(frames))
    head = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    first = head + _missing_module_hint(exc, frames)
    return f"{first}\n\nTraceback (most recent call last):\n{text}{head}" if frames else first


_LIBRARIES = tuple({sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")})


def stack_at(frame) -> str:
    """Where a running function is: the innermost frame of its own code first, then its stack (most recent
    call last) without the agent's frames. Its own code is what is neither the harness nor installed."""
    frames = [f for f in traceback.extract_stack(frame) if not f.filename.startswith(_HARNESS)]
    own = [i for i, f in enumerate(frames) if not f.filename.startswith(_LIBRARIES)]
    frames = frames[own[0]:] if own else frames  # from the function on: not the thread's machinery
    first = "".join(traceback.format_list([frames[own[-1] - own[0]]] if own else frames[-1:])).rstrip()
    return f"{STACK_MARK}\n{first}\nIts stack (most recent call last):\n" + "".join(traceback.format_list(frames)).rstrip()


# Imports whose pip distribution has another name: what to ask for when the distribution is not installed
# here, so that importlib.metadata cannot tell.
DISTRIBUTIONS = {"sklearn": "scikit-learn", "cv2": "opencv-python", "PIL": "Pillow", "yaml": "PyYAML",
                 "skimage": "scikit-image", "bs4": "beautifulsoup4", "dateutil": "python-dateutil",
                 "dotenv": "python-dotenv", "attr": "attrs", "Crypto": "pycryptodome", "jwt": "PyJWT",
                 "magic": "python-magic", "docx": "python-docx", "pptx": "python-pptx", "fitz": "PyMuPDF",
                 "serial": "pyserial", "OpenSSL": "pyOpenSSL", "zmq": "pyzmq", "MySQLdb": "mysqlclient",
                 "faiss": "faiss-cpu", "sentence_transformers": "sentence-transformers", "git": "GitPython",
                 "google.protobuf": "protobuf", "pkg_resources": "setuptools", "shapely": "Shapely"}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def distributions(module: str) -> list[str]:
    """The pip distributions that may provide the import ``module`` (``sklearn`` -> ``scikit-learn``)."""
    from importlib.metadata import packages_distributions  # noqa: PLC0415

    top = module.split(".")[0]
    found = list(packages_distributions().get(top, []))
    for name in (DISTRIBUTIONS.get(module), DISTRIBUTIONS.get(top), top):
        if name and _normal(name) not in {_normal(f) for f in found}:
            found.append(name)
    return found


def requirement_names(text: str) -> set[str]:
    """The normalised distribution names a requirements.txt lists (options and includes skipped)."""
    names = set()
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip()
        egg = re.search(r"#egg=([A-Za-z0-9._-]+)", line)
        if egg:
            names.add(_normal(egg.group(1)))
        elif line and not line.startswith(("#", "-")):
            match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", line)
            if match:
                names.add(_normal(match.group(0)))
    return names


def _missing_module_hint(exc: BaseException, frames: list) -> str:
    """Which distribution provides a module the package needs, and where it is missing."""
    if not isinstance(exc, ModuleNotFoundError) or not exc.name:
        return ""
    candidates = distributions(exc.name)
    listed = None
    for frame in reversed(frames):  # the requirements.txt beside the user's file that imports it
        requirements = Path(frame.filename).parent / "requirements.txt"
        if requirements.is_file():
            names = requirement_names(requirements.read_text(errors="replace"))
            listed = next((c for c in candidates if _normal(c) in names), None)
            break
    if listed:
        return (f" ({listed!r}, which provides {exc.name!r}, is listed in requirements.txt but not installed in "
                "this environment: pip install -r requirements.txt. The thread and subprocess placements run with "
                "this Python's packages and install nothing; the docker placement (`--faas-placement=docker`) "
                "installs requirements.txt)")
    return (f" (add {candidates[0]!r}, the distribution that provides {exc.name!r}, to the package's "
            "requirements.txt, so that the platform installs it, and install it here too)")
