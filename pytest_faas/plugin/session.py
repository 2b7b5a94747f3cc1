"""The per-process platform: one per test process (each xdist worker has its own), started on first use.

Generated items and fixtures both get the platform here, through ``config.stash``, so that a generated
case never needs the fixture machinery and a run that uses neither never starts a server.
"""

from __future__ import annotations

import gc
import logging
import os
import tempfile
from pathlib import Path

import pytest

from ..handle import Platform
from .settings import BY_NAME, CONTAINER_NETWORKS, OPTIONS, PLACEMENTS, FaasSettings, resolve

log = logging.getLogger(__name__)

SETTINGS_KEY = pytest.StashKey[FaasSettings]()
PLATFORM_KEY = pytest.StashKey["Platform"]()


def settings(config: pytest.Config) -> FaasSettings:
    """The resolved settings of this run (cached)."""
    if SETTINGS_KEY not in config.stash:
        cmdline = {o.name: config.getoption(o.dest, default=None) for o in OPTIONS}
        ini = {o.name: config.getini(o.ini) for o in OPTIONS}
        try:
            config.stash[SETTINGS_KEY] = resolve(cmdline, ini)
        except ValueError as exc:
            raise pytest.UsageError(str(exc)) from None
    return config.stash[SETTINGS_KEY]


ENV_KEY = pytest.StashKey[dict]()


def env_file(config: pytest.Config) -> dict[str, str]:
    """The variables of ``--faas-env-file`` (none without it), read once; a bad file is a usage error naming its
    lines (``pytest_configure`` reads it, so that it stops the run before anything is collected)."""
    if ENV_KEY not in config.stash:
        config.stash[ENV_KEY] = _env_file(config, settings(config))
    return config.stash[ENV_KEY]


def _env_file(config: pytest.Config, chosen) -> dict[str, str]:
    if not chosen.env_file:
        return {}
    if chosen.backend_url:
        raise pytest.UsageError(f"{BY_NAME['env_file'].flag} sets the variables of a platform this run starts; "
                                f"with {BY_NAME['backend_url'].flag} give them to the server: "
                                "`faas serve --env-file FILE`")
    from ..errors import ManifestError, ManifestErrors  # noqa: PLC0415
    from ..manifests.envfile import load_env_file  # noqa: PLC0415

    path = Path(chosen.env_file).expanduser()
    if chosen.sources.get("env_file") == "ini" and not path.is_absolute():
        path = config.rootpath / path
    try:
        return load_env_file(path)
    except (ManifestError, ManifestErrors) as exc:
        raise pytest.UsageError(f"{BY_NAME['env_file'].flag} ({chosen.sources.get('env_file')}): {exc}") from None


def platform(config: pytest.Config) -> Platform:
    """This process's platform handle, started now if it is not running yet; closed when pytest ends:
    a `LocalPlatform`, or a `RemotePlatform` with ``--faas-backend-url``."""
    if PLATFORM_KEY in config.stash:
        return config.stash[PLATFORM_KEY]
    chosen = settings(config)
    if chosen.backend_url:
        token = os.environ.get("FAAS_TOKEN")
        if not token:
            raise pytest.UsageError(
                f"{BY_NAME['backend_url'].flag} needs the server's token in FAAS_TOKEN "
                "(`faas serve` prints it and keeps it in <data-dir>/token)")
        from ..local import RemotePlatform  # noqa: PLC0415 (heavy: dtlpy)

        handle = RemotePlatform(chosen.backend_url, token)
    else:
        from ..local import LocalPlatform  # noqa: PLC0415 (heavy: werkzeug, and dtlpy on start)

        options = {"placement": chosen.placement, "container_network": chosen.container_network,
                   "keep_containers": chosen.keep, "service_env": env_file(config)}
        config.hook.pytest_faas_platform_options(config=config, options=options)  # plugin/hookspecs.py
        for name, allowed in (("placement", PLACEMENTS), ("container_network", CONTAINER_NETWORKS)):
            if options.get(name) not in allowed:
                raise pytest.UsageError(f"pytest_faas_platform_options set {name} to {options.get(name)!r}; "
                                        f"it must be one of {', '.join(allowed)}")
        data_dir = tempfile.mkdtemp(prefix="faas-run-") if chosen.keep else None
        handle = LocalPlatform(data_dir, **options).start()
        if chosen.keep:
            config.stash[KEPT_KEY] = data_dir  # the terminal summary names it, under xdist too
    config.stash[PLATFORM_KEY] = handle
    config.add_cleanup(handle.close)
    _settle_heap()
    return handle


def close_platform(config: pytest.Config) -> None:
    """Close this process's platform now, if it runs (its cleanup, registered at start, then does nothing)."""
    runner = config.stash.get(RUNNER_KEY, None)
    if runner is not None:
        runner.close()
    handle = config.stash.get(PLATFORM_KEY, None)
    if handle is not None:
        handle.close()


def _settle_heap() -> None:
    """Starting a platform imports dtlpy and what it loads (numpy, pandas, aiohttp, redis) and werkzeug: some
    hundreds of thousands of objects that live as long as the process. Every full garbage collection walks
    them all again: Python's automatic ones during the run, pytest's at the end of the session (it collects
    repeatedly to find unraisable exceptions) and the interpreter's at exit, a few tenths of a second of CPU
    per test process. Frozen once here (Python's permanent generation), they are not walked again. Freeing
    by reference count is unchanged; only cycles among these objects are never collected, and the objects
    made from here on are collected as usual."""
    # The young generations' garbage is freed first, not frozen (a full collection here would cost ~60 ms
    # and, measured after dtlpy's import, find nothing).
    gc.collect(1)
    gc.freeze()


RUNNER_KEY = pytest.StashKey["CaseRunner"]()
KEPT_KEY = pytest.StashKey[str]()


def kept_dir(config: pytest.Config) -> str | None:
    """The data dir `--faas-keep` keeps for this process's platform, if any."""
    return config.stash.get(KEPT_KEY, None)


def case_runner(config: pytest.Config):
    """The `CaseRunner` of this process: it keeps pushed packages and deployed services across cases."""
    if RUNNER_KEY not in config.stash:
        from ..cases.runner import CaseRunner  # noqa: PLC0415

        handle = platform(config)
        placement = getattr(handle, "placement", None) or settings(config).placement  # as a hook may have chosen
        runner = config.stash[RUNNER_KEY] = CaseRunner(handle, placement, settings(config).timeout_s)
        config.add_cleanup(runner.close)  # before the platform's own cleanup: the last added runs first
    return config.stash[RUNNER_KEY]
