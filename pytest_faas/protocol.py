"""Words the platform and its runner agents share: statuses, limits, messages, the log end marker.

The backend and the runtime never import each other (agents are HTTP clients); both import this.
"""

from __future__ import annotations

import json

TERMINAL = frozenset({"success", "failed", "terminated", "aborted", "canceled", "system-failure"})
QUEUED = frozenset({"created", "rerun"})

END_MARKER = "[Done] Executing function."
MAX_OUTPUT_BYTES = 4 * 1024 * 1024
OUTPUT_TOO_LARGE = ("The function execution was successful, but the output couldn't be saved because it was "
                    "larger than the maximum size allowed of 4.0MB")
TIMEOUT_MESSAGE = "Execution stopped due to runner timeout"
TERMINATION_SIGNAL = "Execution received termination signal"

# An agent that could not load its code exits with this, so its placement does not restart it in a loop.
EXIT_STARTUP_FAILED = 86

AGENT_ROUTES = "/_faas/agents"


def output_problem(output) -> str | None:
    """Why the platform cannot store an output (not JSON, or over 4 MB), or None when it can."""
    try:
        size = len(json.dumps(output, separators=(",", ":"), allow_nan=False).encode())
    except (TypeError, ValueError) as exc:
        return f"The function's output is not JSON serialisable: {exc}"
    return OUTPUT_TOO_LARGE if size > MAX_OUTPUT_BYTES else None
