"""The per-process platform: one per test process (each xdist worker has its own), started on first use.

Generated items and fixtures both get the platform here, through ``config.stash``, so that a generated
case never needs the fixture machinery and a run that uses neither never starts a server.
"""

from __future__ import annotations

import logging
import os
import tempfile

import pytest

from ..handle import Platform
from .settings import BY_NAME, OPTIONS, FaasSettings, resolve

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

        data_dir = tempfile.mkdtemp(prefix="faas-run-") if chosen.keep else None
        handle = LocalPlatform(data_dir, placement=chosen.placement, container_network=chosen.container_network,
                               keep_containers=chosen.keep).start()
        if chosen.keep:
            config.stash[KEPT_KEY] = data_dir  # the terminal summary names it, under xdist too
    config.stash[PLATFORM_KEY] = handle
    config.add_cleanup(handle.close)
    return handle


RUNNER_KEY = pytest.StashKey["CaseRunner"]()
KEPT_KEY = pytest.StashKey[str]()


def kept_dir(config: pytest.Config) -> str | None:
    """The data dir `--faas-keep` keeps for this process's platform, if any."""
    return config.stash.get(KEPT_KEY, None)


def case_runner(config: pytest.Config):
    """The `CaseRunner` of this process: it keeps pushed packages and deployed services across cases."""
    if RUNNER_KEY not in config.stash:
        from ..cases import CaseRunner  # noqa: PLC0415

        runner = config.stash[RUNNER_KEY] = CaseRunner(platform(config), settings(config).placement)
        config.add_cleanup(runner.close)  # before the platform's own cleanup: the last added runs first
    return config.stash[RUNNER_KEY]
