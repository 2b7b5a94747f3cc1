"""A mock case that starts with an event: the resource it creates and the executions its triggers must fire.

A mock file (or one ``cases[n]``) with ``"event"`` does not call the function itself. The case deploys the
service with the Event triggers of service.json, creates (or changes) the resource the event names in the
service's project, and then expects the executions those triggers fire::

    "event": {"resource": "Item", "action": "Created", "item": {"name": "a.jpg", "remote_path": "/train"}},
    "expect": {"executions": [{"function": "run", "times": 1, "status": "success"}]}

Without ``expect.executions`` the case expects at least one execution, each ending with ``expect.status``.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field, model_validator

from .jsondoc import fail, one_of, problem
from .mock_entities import DatasetSpec, ItemSpec, Own

# What a case can make happen, per resource (what the local platform publishes for each).
EVENT_ACTIONS = {"Item": ("Created", "Updated", "Deleted"), "Dataset": ("Created",), "Annotation": ("Created",)}
DEFAULT_UPDATE = {"metadata": {"user": {"faasEvent": "updated"}}}
DEFAULT_ANNOTATION = {"type": "class", "label": "faas-event"}


class EventSpec(Own):
    """The event a case makes happen.

    Attributes:
        resource: ``Item``, ``Dataset`` or ``Annotation``.
        action: ``Created`` (default); for an ``Item`` also ``Updated`` (the item is created, then changed by
            ``update``) and ``Deleted`` (created, then deleted).
        item: the item (Item events; for Annotation events the item the annotation goes on); default a
            small PNG at ``/``.
        update: the change of an ``Updated`` item, a PATCH body; default a ``metadata.user`` key.
        annotation: the annotation of an ``Annotation`` event; default a class annotation.
        dataset: the dataset of a ``Dataset`` event (its ``name``).
    """

    resource: Annotated[str, AfterValidator(one_of(tuple(EVENT_ACTIONS)))]
    action: str = "Created"
    item: ItemSpec | None = None
    update: dict[str, Any] | None = None
    annotation: dict[str, Any] | None = None
    dataset: DatasetSpec | None = None

    @model_validator(mode="after")
    def action_of_resource(self) -> EventSpec:
        actions = EVENT_ACTIONS[self.resource]
        if self.action not in actions:
            raise fail(problem(("action",), f"one of {', '.join(actions)} for a {self.resource} event", self.action))
        if self.item is not None and self.item.dataset is not None:
            raise fail(problem(("item", "dataset"), "no dataset: the event's item goes into a dataset of the "
                               "service's project, where its triggers listen", self.item.dataset))
        return self

    @property
    def item_or_default(self) -> ItemSpec:
        return self.item or ItemSpec()


class ExpectedExecution(Own):
    """Executions a case's event must fire: of ``function`` (any when absent), by ``trigger`` (its name, any
    when absent), exactly ``times`` of them (0: none), each ending with ``status`` (and ``output`` /
    ``message`` when given)."""

    function: str | None = Field(None, min_length=1)
    trigger: str | None = Field(None, min_length=1)
    times: int = Field(1, ge=0, le=1000)
    status: Annotated[str, AfterValidator(one_of(("success", "failed")))] = "success"
    output: Any = None
    message: str | None = None

    @property
    def checks_output(self) -> bool:
        return "output" in self.model_fields_set

    def describe(self) -> str:
        what = f"{self.times} execution(s)" + (f" of {self.function}()" if self.function else "")
        return what + (f" by trigger {self.trigger!r}" if self.trigger else "")
