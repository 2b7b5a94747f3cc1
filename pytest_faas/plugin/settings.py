"""Option names and their resolution: command line, then ``FAAS_*`` environment, then ini, then default.

One table (:data:`OPTIONS`) feeds pytest's option parser and ini keys, the CLI, and the report header,
which says where each value came from.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable

PLACEMENTS = ("thread", "subprocess", "docker")
CONTAINER_NETWORKS = ("none", "host")


def parse_shard(text: str) -> tuple[int, int]:
    """``"i/n"`` -> ``(i, n)`` with ``1 <= i <= n``; ValueError saying what is expected otherwise."""
    index, _, count = str(text).strip().partition("/")
    try:
        i, n = int(index), int(count)
    except ValueError:
        i = n = 0
    if not 1 <= i <= n:
        raise ValueError("expects i/n with 1 <= i <= n, such as 2/4")
    return i, n


MAX_TIMEOUT_S = 86_400  # the platform's own executionTimeout bound is far above any CI job's


def _whole_number(text: str, highest: int, expects: str) -> int:
    """``text`` as a whole number from 1 to ``highest``; ValueError(``expects``) otherwise."""
    try:
        value = int(str(text).strip())
    except ValueError:
        value = 0
    if not 1 <= value <= highest:
        raise ValueError(expects)
    return value


def parse_timeout(text: str) -> int:
    """Whole seconds, 1 to a day (the platform counts executionTimeout in whole seconds)."""
    return _whole_number(text, MAX_TIMEOUT_S, f"expects whole seconds from 1 to {MAX_TIMEOUT_S}, such as 120")


MAX_CONCURRENCY = 1000  # as runtime.concurrency: the most executions of one service at once


def parse_concurrency(text: str) -> int:
    """``"4"`` -> 4, from 1 to :data:`MAX_CONCURRENCY`; ValueError saying what is expected otherwise."""
    return _whole_number(text, MAX_CONCURRENCY, f"expects a whole number from 1 to {MAX_CONCURRENCY}, such as 4 "
                                                "(1 runs one case at a time)")


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Option:
    """One setting: ``--faas-<name>`` on the command line, ``faas_<name>`` in ini, ``FAAS_<NAME>`` in env."""

    name: str
    help: str
    default: Any = None
    choices: tuple[str, ...] | None = None
    flag_only: bool = False  # a boolean switch
    validate: Callable[[str], Any] | None = None  # raises ValueError on a malformed value

    @property
    def flag(self) -> str:
        return "--faas" if self.name == "enabled" else f"--faas-{self.name.replace('_', '-')}"

    @property
    def ini(self) -> str:
        return "faas" if self.name == "enabled" else f"faas_{self.name}"

    @property
    def env(self) -> str:
        return "FAAS" if self.name == "enabled" else f"FAAS_{self.name.upper()}"

    @property
    def dest(self) -> str:
        return f"faas_{self.name}"

    def parse(self, raw: Any, source: str) -> Any:
        if raw is None:
            return None
        if self.flag_only:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise ValueError(f"{source}: {self._where(source)} expects true or false, found {raw!r}")
        value = str(raw).strip()
        if self.choices and value not in self.choices:
            raise ValueError(f"{source}: {self._where(source)} must be one of {', '.join(self.choices)}, "
                             f"found {raw!r}")
        if self.validate is not None:
            try:
                self.validate(value)
            except ValueError as exc:
                raise ValueError(f"{source}: {self._where(source)} {exc}, found {raw!r}") from None
        return value

    def _where(self, source: str) -> str:
        return {"command line": self.flag, "environment": self.env, "ini": self.ini}.get(source, self.name)


OPTIONS: tuple[Option, ...] = (
    Option("enabled", "collect FaaS packages (package.json with modules) and run their mock.json cases",
           default=False, flag_only=True),
    Option("placement", "where functions run: thread, subprocess or docker", default="thread",
           choices=PLACEMENTS),
    Option("backend_url", "use a running `faas serve` at this URL instead of starting a platform"),
    Option("keep", "keep the platform's data dir (and containers) after the run, for inspection",
           default=False, flag_only=True),
    Option("container_network", "network of docker-placed functions: none (default) or host",
           default="none", choices=CONTAINER_NETWORKS),
    Option("pdb", "open pdb in the failing frame of a function that raises (thread placement; use with -s)",
           default=False, flag_only=True),
    Option("env_file", "an env file (NAME=value lines) whose variables every service's code runs with; "
                       "relative to the ini file's folder when set there"),
    Option("html", "write an HTML report of the run to this file: one self-contained page (docs/report.md)"),
    Option("shard", "run shard i of n (i/n, such as 2/4) of the selected tests, one CI machine each: the n shards "
           "together run every test exactly once", validate=parse_shard),
    Option("timeout", "fail a mock case whose function runs longer than SECONDS, showing where it was, and end its "
           "execution (the service's own executionTimeout still applies when it is lower)", validate=parse_timeout),
    Option("concurrency", "the most executions of one service this run keeps going at once (default: what the "
           "service allows, runtime.concurrency times its replicas; 1 runs one case at a time)",
           validate=parse_concurrency),
)
BY_NAME = {o.name: o for o in OPTIONS}


@dataclass(frozen=True)
class FaasSettings:
    """Resolved settings; ``sources`` says, per setting, where its value came from."""

    enabled: bool = False
    placement: str = "thread"
    backend_url: str | None = None
    keep: bool = False
    container_network: str = "none"
    pdb: bool = False
    env_file: str | None = None
    html: str | None = None
    shard: str | None = None
    timeout: str | None = None
    concurrency: str | None = None
    sources: dict[str, str] = field(default_factory=dict, compare=False)

    def header(self) -> str:
        parts = [f"{name}={getattr(self, name)} ({self.sources.get(name, 'default')})"
                 for name in ("placement", "backend_url", "keep", "container_network", "env_file", "timeout")]
        return "faas: " + ", ".join(parts)

    @property
    def timeout_s(self) -> int | None:
        """The per-case timeout in seconds (None: the service's executionTimeout alone)."""
        return parse_timeout(self.timeout) if self.timeout else None


def resolve(cmdline: dict[str, Any], ini: dict[str, Any], environ: dict[str, str] | None = None) -> FaasSettings:
    """Resolve every option by precedence; raises ValueError naming the source and the option on bad values.

    Args:
        cmdline: option name -> value given on the command line (None when absent).
        ini: option name -> raw ini value (None or "" when absent).
        environ: the environment; ``os.environ`` by default.
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for option in OPTIONS:
        for source, raw in (("command line", cmdline.get(option.name)), ("environment", environ.get(option.env)),
                            ("ini", ini.get(option.name) or None)):
            value = option.parse(raw, source)
            if value is not None and not (option.flag_only and source == "command line" and value is False):
                values[option.name], sources[option.name] = value, source
                break
        else:
            values[option.name], sources[option.name] = option.default, "default"
    return FaasSettings(**values, sources=sources)
