"""One exception tree for the whole project.

Every error pytest-faas raises on purpose is a `FaasError`. The kinds carry what a person needs to act on
the error (the file, the JSON path, the expected and the found value; or the execution record), so that
the CLI, the plugin and the REST layer can each render them in their own way without re-parsing text.
"""

from __future__ import annotations

from typing import Any


class FaasError(Exception):
    """Base of every deliberate pytest-faas error."""


class ManifestError(FaasError):
    """A package.json, service.json or mock file is not what the platform accepts.

    Attributes:
        file: path of the file, as given to the loader.
        json_path: where in the document, e.g. ``modules[0].functions[1].input[0].type``; ``""`` for the
            whole document (for example when it is not valid JSON).
        expected: what would have been accepted.
        found: what the file holds.
        hint: an optional fix ("did you mean 'Item'?").
    """

    def __init__(self, file: str, json_path: str, expected: str, found: Any, hint: str | None = None):
        self.file = str(file)
        self.json_path = json_path
        self.expected = expected
        self.found = found
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        location = f"{self.file}: {self.json_path}" if self.json_path else self.file
        text = f"{location}: expected {self.expected}, found {self.found!r}"
        if self.hint:
            text += f" ({self.hint})"
        return text


class ManifestErrors(FaasError):
    """Several manifest problems found in one pass; each is a `ManifestError`."""

    def __init__(self, errors: list[ManifestError]):
        self.errors = list(errors)
        super().__init__("\n".join(e.render() for e in self.errors))


class CheckError(FaasError):
    """The package's manifest and its code disagree; `findings` lists every problem found."""

    def __init__(self, findings: list[Any]):
        self.findings = list(findings)
        super().__init__("\n".join(str(f) for f in self.findings))


class PlatformError(FaasError):
    """A request the local platform refuses. `status` is the HTTP status the REST layer answers with.

    The statuses follow what dtlpy maps to its own exceptions (docs/platform.md#errors): 400 BadRequest,
    401 Unauthorized, 403 Forbidden, 404 NotFound, 409 Conflict, 424 FailedDependency.
    """

    status = 500

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class BadRequest(PlatformError):
    status = 400


class NotFound(PlatformError):
    status = 404


class Conflict(PlatformError):
    status = 409


class NotSupported(PlatformError):
    """A route or an option the real platform serves and this one does not: 501, naming the route, so a
    caller never takes a silent no-op for success (docs/platform.md#what-is-not-supported)."""

    status = 501


class ExecutionFailed(FaasError):
    """A generated case's execution ended in a status other than the expected one.

    Attributes:
        execution: the execution record (platform JSON) as the platform returned it.
        logs: the execution's log lines.
        placement: where the agent ran (thread, subprocess, docker).
        reason: one line saying which expectation failed.
        note: a line about the run around it (how many executions of its service ran at once), or None.
    """

    def __init__(self, execution: dict, logs: list[str], placement: str, reason: str):
        self.execution = execution
        self.logs = logs
        self.placement = placement
        self.reason = reason
        self.note: str | None = None
        super().__init__(reason)


class TriggersFailed(ExecutionFailed):
    """An event case's triggers did not fire the executions its mock file expects: no one execution to show.

    Attributes:
        executions: the executions the event fired (platform JSON), each final.
    """

    def __init__(self, reason: str, executions: list[dict], logs: list[str], placement: str):
        self.executions = executions
        super().__init__({}, logs, placement, reason)
