"""What the platform must hold once a case's execution has ended: items and annotations, checked by query.

``expect.items`` and ``expect.annotations`` of a mock file (a package's, an app's or a pipeline template's)::

    "expect": {
      "items": [{"filter": {"dir": "/thumbs"}, "count": 1},
                {"filter": {"id": "img-1", "metadata.user.tagged": true}, "count": 1}],
      "annotations": [{"item": "img-1", "count": 2, "labels": ["car"], "type": "box"}]
    }

- ``items[n]``: ``filter``, a DQL filter as a trigger's (default: every item); ``dataset``, the id or name
  of a dataset the mock file declares (default: every dataset of the case); ``count``, how many items must
  match (default: at least one). A mock id (``img-1``) is the id of the item seeded for it.
- ``annotations[n]``: ``item``, the id of an item of the case; ``labels`` (any of them) and ``type`` narrow
  which of its annotations count; ``count``, how many must (default: at least one).

A filter the platform would refuse is a finding of the file when it is loaded, located inside the filter.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field, field_validator

from .jsondoc import Shown, did_you_mean, fail, problem
from .mock_entities import Own


class ExpectedItems(Own):
    """Items the case must leave on the platform: how many match ``filter`` (in ``dataset``)."""

    filter: dict[str, Any] = Field(default_factory=dict)
    dataset: str | None = Field(None, min_length=1)
    count: int | None = Field(None, ge=0)

    @field_validator("filter")
    @classmethod
    def compiles(cls, value: dict[str, Any]) -> dict[str, Any]:
        from ..dql import compiler as dql  # noqa: PLC0415 (loaded only for a file that expects items)

        try:
            dql.compile_filter(value)
        except dql.DQLError as exc:  # its message names the place inside the filter: filter.$and[1].dir
            raise fail(problem((), "a valid DQL filter, as a trigger's", Shown(str(exc)))) from None
        return value

    def describe(self) -> str:
        where = f" in dataset {self.dataset}" if self.dataset else ""
        return f"items matching {json.dumps(self.filter, sort_keys=True)}{where}"


class ExpectedAnnotations(Own):
    """Annotations one item must have: how many of them have one of ``labels`` and ``type``."""

    item: str = Field(min_length=1)
    count: int | None = Field(None, ge=0)
    labels: list[str] | None = Field(None, min_length=1)
    type: str | None = Field(None, min_length=1)

    def counts(self, annotation: dict) -> bool:
        return (self.labels is None or annotation.get("label") in self.labels) and \
            (self.type is None or annotation.get("type") == self.type)


class ExpectedState(Own):
    """The platform-state part of an expectation, shared by a package's and a pipeline template's mock file."""

    items: list[ExpectedItems] = Field(default_factory=list)
    annotations: list[ExpectedAnnotations] = Field(default_factory=list)

    @property
    def checks_state(self) -> bool:
        return bool(self.items or self.annotations)


def state_problems(expect: ExpectedState, at: tuple, datasets: set[str]) -> list[dict[str, Any]]:
    """``dataset`` names that the mock file declares no dataset for (the ids and names it declares)."""
    return [problem(at + ("items", n, "dataset"), "the id or name of a dataset declared in this mock file",
                    entry.dataset, did_you_mean(entry.dataset, sorted(datasets)))
            for n, entry in enumerate(expect.items) if entry.dataset is not None and entry.dataset not in datasets]
