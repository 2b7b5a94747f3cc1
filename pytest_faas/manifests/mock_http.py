"""A mock file's outbound part: the ``http`` stubs that answer a function's calls, and ``expect.calls``.

The platform's mock.json has no such keys; pytest-faas adds them so that a case's function reaches only
what its mock file declares (see ``runner/outbound.py``, which answers and refuses by these).
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from .jsondoc import fail, one_of, problem, shown
from .mock_entities import Own as _Own


MAX_STUB_BODY_BYTES = 8 << 20  # a stub's body travels in each execution's input
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


def _http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise fail(problem((), "an absolute http:// or https:// URL", value))
    return value


class HttpMatch(_Own):
    """What a request must carry, beyond its method and URL, for a stub to answer it."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    query: dict[str, str] | None = None
    json_body: Any = Field(None, alias="json")


class HttpStub(_Own):
    """One answer of the outside world to the function's ``requests`` calls; see the module docstring."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    method: Annotated[str, AfterValidator(one_of(HTTP_METHODS))] = "GET"
    url: Annotated[str, AfterValidator(_http_url)]
    status: int = Field(200, ge=100, le=599)
    json_body: Any = Field(None, alias="json")
    body: str | None = None
    body_base64: str | None = None  # bytes: a zip, an image
    body_file: str | None = None  # bytes from a file, relative to the mock file, inside the package folder
    headers: dict[str, str] = Field(default_factory=dict)
    match: HttpMatch | None = None
    repeat: int | None = Field(None, ge=1)
    _file: Path | None = PrivateAttr(None)  # body_file once load_mock has found it

    @field_validator("body_base64")
    @classmethod
    def _base64(cls, value: str | None) -> str | None:
        try:
            if value is not None and len(value) <= MAX_STUB_BODY_BYTES * 4 // 3 + 4:
                base64.b64decode(value, validate=True)
                return value
        except ValueError:
            pass
        raise fail(problem((), f"base64 of at most {MAX_STUB_BODY_BYTES >> 20} MiB", shown(value)))

    @model_validator(mode="after")
    def one_body(self) -> HttpStub:
        given = [key for key, name in (("json", "json_body"), ("body", "body"), ("body_base64", "body_base64"),
                                       ("body_file", "body_file")) if name in self.model_fields_set]
        if len(given) > 1:
            raise fail(problem((given[1],), "one of json, body, body_base64 or body_file", given[1]))
        return self

    def declaration(self) -> dict[str, Any]:
        """The stub as the agent reads it (the mock file's own keys; a body_file's bytes as body_base64)."""
        stub = self.model_dump(by_alias=True, exclude_unset=True, exclude={"body_file"}) | {"method": self.method}
        if self._file is not None:
            stub["body_base64"] = base64.b64encode(self._file.read_bytes()).decode()
        return stub

    def answers(self, call: ExpectedCall) -> bool:
        return self.method == call.method and self.url.split("?")[0] == call.url.split("?")[0]


class ExpectedCall(_Own):
    """A call the function must have made: ``times`` absent means at least once."""

    method: Annotated[str, AfterValidator(one_of(HTTP_METHODS))] = "GET"
    url: Annotated[str, AfterValidator(_http_url)]
    times: int | None = Field(None, ge=0)
