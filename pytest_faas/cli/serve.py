"""`faas serve`: the same platform, long-running, for dtlpy scripts, `dlp` and other `faas` commands.

The store is durable in the data dir, the token is kept in ``<data-dir>/token``, and the default port is
fixed, so stopping (Ctrl-C, SIGTERM) and starting again on the same data dir keeps the data, the URL and
the token every client was given.
"""

from __future__ import annotations

import os
import shlex
import signal
import sys
import threading
from pathlib import Path

import click
from click.core import ParameterSource

from ..errors import PlatformError
from .common.command import env_file_option, options, read_env_file
from .common.activity import BuildLines, ExecutionWatch, RequestLines
from .common.watch import PackageWatch
from .common.datadir import DataDir

DEFAULT_PORT = 8765
WHERE = {"subprocess": "a process per service replica", "thread": "threads of this server",
         "docker": "a container per service replica, built from the service's runnerImage"}


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, envvar="FAAS_HOST",
              help="Address to listen on; keep loopback unless you know why not.")
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True, envvar="FAAS_PORT",
              help="TCP port; 0 picks a free one.")
@click.option("--data-dir", "serve_dir", type=click.Path(file_okay=False), envvar="FAAS_DATA_DIR",
              help="Where the platform keeps its data (default: the global --data-dir, ./.faas).")
@click.option("--placement", type=click.Choice(["subprocess", "thread", "docker"]), default="subprocess",
              show_default=True, envvar="FAAS_PLACEMENT",
              help="Where functions run: a process per service replica (a hung or crashing function cannot take "
                   "the server down; timeouts and terminate really stop it), threads of the server (faster to "
                   "start), or a container per replica (needs a Docker engine: `faas docker setup`).")
@click.option("--watch", "watch_dirs", multiple=True, type=click.Path(exists=True, file_okay=False),
              metavar="DIR", help="Push this package folder again whenever its files change (repeatable); the "
                                  "services that run it restart on the new version.")
@click.option("--quiet", "-q", is_flag=True, help="Print no line per request (executions and cron fires still show).")
@click.option("--verbose", "verbose_requests", is_flag=True,
              help="Print the runner agents' own requests too (their polls for work and signals).")
@click.option("--container-network", type=click.Choice(["none", "host"]), default="none", show_default=True,
              envvar="FAAS_CONTAINER_NETWORK",
              help="With --placement docker: none (containers reach only this platform) or host.")
@env_file_option("Environment variables every service's code runs with (NAME=value lines); a service's own, "
                 "from service.json's \"env\" or `faas packages deploy --env-file`, win.")
def serve(host, port, serve_dir, placement, container_network, quiet, verbose_requests, watch_dirs, env_file):
    """Run the local platform until Ctrl-C or SIGTERM, printing how to point dtlpy and dlp at it."""
    from ..local import LocalPlatform  # noqa: PLC0415 (heavy)

    service_env = read_env_file(env_file)
    data_dir = DataDir(serve_dir or options().data_dir)
    if not data_dir.acquire(wait_s=0):
        running = data_dir.running_server()
        raise click.ClickException(f"{data_dir.path} is already served at {running}" if running else
                                   f"{data_dir.path} is in use by another faas command; try again when it ends")
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    requests = watch = packages = None
    builds = BuildLines(_echo_err).install() if placement == "docker" else None  # before start: it may build
    platform = LocalPlatform(data_dir=data_dir.path, host=host, port=port, bind_sdk=False, placement=placement,
                             container_network=container_network, service_env=service_env)
    try:
        try:
            platform.start()
        except PlatformError as exc:
            raise click.ClickException(str(exc)) from None
        data_dir.record_server(platform.base_url)
        by_default = click.get_current_context().get_parameter_source("placement") == ParameterSource.DEFAULT
        _announce(platform, data_dir, by_default)
        echo = _echo_err
        verbose = verbose_requests or options().verbose
        requests = None if quiet else RequestLines(echo, verbose=verbose).install()
        watch = ExecutionWatch(platform.backend.store, echo).start()
        if watch_dirs:
            # The token goes in the push's environment: a command line is readable by every user (`ps`).
            packages = PackageWatch([Path(d) for d in watch_dirs], ["--data-dir", str(data_dir.path), "--url",
                                    platform.base_url], echo, env={**os.environ, "FAAS_TOKEN": platform.token}).start()
        while not stop.wait(0.5):
            pass
        click.echo("faas serve: stopping (executions still running end as the platform stops)", err=True)
    finally:
        if packages is not None:
            packages.stop()
        if watch is not None:
            watch.stop()
        if requests is not None:
            requests.uninstall()
        if builds is not None:
            builds.uninstall()
        platform.close()
        click.echo("faas serve: stopped", err=True)
        data_dir.forget_server()
        data_dir.release()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _echo_err(line: str) -> None:
    click.echo(line, err=True)


# Why serve's default placement differs from `pytest --faas` and `faas packages test` (threads): said in the header.
DEFAULT_WHY = ("the default of faas serve; pytest --faas and faas packages test run functions in threads, but a "
               "server runs for hours: a function that hangs or crashes cannot take it down, and a timeout really "
               "stops it (--placement thread for theirs)")


def _announce(platform, data_dir: DataDir, default_placement: bool = False) -> None:
    """How to reach the platform. The token is printed once, in the page's address (a CI log or a shared
    terminal shows it once); every other line reads it from the data dir's token file."""
    token_file = (data_dir.path / "token").resolve()  # the printed lines work from any folder
    python_lines = platform.client_lines(token_expression=f"open({str(token_file)!r}).read().strip()")
    setup = "; ".join(["import dtlpy as dl"] + python_lines)
    echo = click.echo
    echo(f"faas serve: local platform at {platform.url}")
    echo(f"data dir:   {data_dir.path} (token in {token_file})")
    why = f" ({DEFAULT_WHY})" if default_placement and platform.placement == "subprocess" else ""
    echo(f"functions:  run in {WHERE[platform.placement]}{why}")
    # The token travels once, in this address; the page trades it for a cookie and drops it from the address bar.
    echo(f"page:       {platform.base_url}/?token={platform.token}")
    echo("")
    echo("Point dtlpy at it (Python; set DATALOOP_PATH first to keep your own ~/.dataloop apart):")
    echo("    import dtlpy as dl")
    for line in python_lines:
        echo(f"    {line}")
    echo("")
    echo("Point dlp at it (one command, once per DATALOOP_PATH):")
    echo(f"    {shlex.quote(sys.executable)} -c {shlex.quote(setup)}")
    echo("")
    echo("Point faas at it (or just run faas with this server's --data-dir):")
    echo(f"    export FAAS_URL={platform.base_url} FAAS_TOKEN=\"$(cat {shlex.quote(str(token_file))})\"")
    echo("")
    echo("Ctrl-C or SIGTERM stops it; start it again on the same data dir and nothing is lost.")
    sys.stdout.flush()
