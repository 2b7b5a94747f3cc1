"""How an agent process starts: ``python -m pytest_faas.runner.launch --url URL --service ID``.

The subprocess and docker placements run this. The token never comes on the command line (every user of
the machine can read those with ``ps``): it comes on stdin (subprocess placement) or in
``FAAS_AGENT_TOKEN``, removed from the environment once read (containers). With ``--assignment FILE``
instead of ``--service``, the process imports what an agent needs first and then waits for that file to
name its service and replica: a ready container of the docker placement (see ``warm.py``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import time
from pathlib import Path

from ..protocol import READY_LINE
from . import sourcenames
from .agent import Agent

ASSIGNMENT_POLL_S = 0.005
ASSIGNMENT_WAIT_S = 24 * 3600.0  # a ready container nobody takes for a day gives up (its placement is gone)


def _await_assignment(path: Path) -> tuple[str, int]:
    """Import what an agent needs, then wait for ``path``: ``{"service": id, "replica": n}``."""
    import dtlpy  # noqa: F401, PLC0415 (the slow part of an agent's start, done before it is needed)

    from . import invoke, loader  # noqa: F401, PLC0415
    from ..dtlpy_binding import DtlpyBinding  # noqa: F401, PLC0415

    print(READY_LINE, file=sys.stderr, flush=True)
    deadline = time.monotonic() + ASSIGNMENT_WAIT_S
    while time.monotonic() < deadline:
        try:
            assignment = json.loads(path.read_text())
            return str(assignment["service"]), int(assignment["replica"])
        except FileNotFoundError:
            time.sleep(ASSIGNMENT_POLL_S)
    raise SystemExit(0)


TOKEN_ENV = "FAAS_AGENT_TOKEN"


def read_token() -> str:
    """The agent's token: from ``FAAS_AGENT_TOKEN`` (then removed, so the user's code and its children do
    not inherit it), else the first line of stdin (then stdin is /dev/null, as the user's code expects)."""
    token = os.environ.pop(TOKEN_ENV, "").strip()
    if token:
        return token
    token = sys.stdin.readline().strip()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    return token


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pytest_faas.runner.launch",
                                     description="Run one replica of a FaaS service against a platform.")
    parser.add_argument("--url", required=True, help="the platform's API base, http://host:port/api/v1")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--service", help="the service id")
    which.add_argument("--assignment", type=Path,
                       help="get ready, then wait for this JSON file to name the service and the replica")
    parser.add_argument("--replica", type=int, default=0, help="the replica number (0-based)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    token = read_token()
    if not token:
        parser.error(f"no token: send it on stdin or in {TOKEN_ENV}")
    if args.assignment is not None:
        args.service, args.replica = _await_assignment(args.assignment)
    measured = sourcenames.start_coverage()  # before the user's code is imported
    agent = Agent(args.url, token, args.service, args.replica, bind_sdk=True, owns_process=True)
    signal.signal(signal.SIGTERM, lambda *_: agent.stop())
    code = agent.run()
    sourcenames.save_coverage(measured)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # user threads that never end must not keep a stopped runner alive


if __name__ == "__main__":
    main()
