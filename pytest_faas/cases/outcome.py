"""The verdict on a case's outcome: what came back against the mock file's ``expect``."""

from __future__ import annotations

import json

from ..errors import ExecutionFailed
from ..manifests.mock import Expectation
from ..runner import outbound
from .events import EventOutcome, check_event
from .runner import CaseOutcome


def check(outcome: CaseOutcome | EventOutcome, expect: Expectation, placement: str, label: str) -> None:
    """Raise :class:`ExecutionFailed` when the outcome does not meet the expectation."""
    if not isinstance(outcome, CaseOutcome):  # an event case's executions (cases/events.py)
        return check_event(outcome, expect, placement, label)
    status = outcome.status
    message = outcome.execution.get("latestStatus", {}).get("message") or ""
    reasons = []
    if status != expect.status:
        reasons.append(f"expected status {expect.status}, got {status}")
    elif expect.checks_output and outcome.execution.get("output") != expect.output:
        reasons.append(f"expected output {json.dumps(expect.output)}, got {json.dumps(outcome.execution.get('output'))}")
    if expect.message is not None and expect.message not in message:
        reasons.append(f"expected the message to contain {expect.message!r}")
    action = outcome.execution.get("action")
    if expect.checks_action and action != expect.action:
        reasons.append(f"expected {_action(expect.action)} (progress.update(action=...)), got {_action(action)}")
    made = outbound.answered_calls(outcome.logs)
    for call in expect.calls:
        count = sum(1 for method, url in made if method == call.method and (
            url == call.url or ("?" not in call.url and url.split("?")[0] == call.url)))
        if count == 0 if call.times is None else count != call.times:
            wanted = "at least once" if call.times is None else f"{call.times} time(s)"
            reasons.append(f"expected the call {call.method} {call.url} {wanted}, it was made {count} time(s)")
    reasons += outcome.state_misses
    if reasons:
        raise ExecutionFailed(outcome.execution, outcome.logs, placement, f"{label}: " + "; ".join(reasons))


def _action(value: str | None) -> str:
    return "no action" if value is None else f"action {value!r}"
