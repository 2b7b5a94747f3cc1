"""The entities a mock file declares for a case: datasets, items and package artifacts.

See :mod:`pytest_faas.manifests.mock` for the file as a whole. Paths in them are relative (an absolute path
would tie the mock file to one machine) and checked when the file is loaded.
"""

from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .jsondoc import fail, problem


class Own(BaseModel):
    """A block only pytest-faas reads: an unknown key is a typo, reported with did-you-mean."""

    model_config = ConfigDict(extra="forbid")


def _relative(value: str | None, base: str) -> str | None:
    if value is not None and (PurePosixPath(value).is_absolute() or PureWindowsPath(value).is_absolute()):
        raise fail(problem((), f"a path relative to {base}", value))
    return value


class DatasetSpec(Own):
    """A dataset a case needs. Items refer to it by ``id`` or ``name``."""

    id: str | None = Field(None, min_length=1)
    name: str | None = Field(None, min_length=1)
    metadata: dict[str, Any] = Field(default_factory=dict)


class ItemSpec(Own):
    """An item a case needs.

    Attributes:
        id: a fixed id, so that inputs can name the item; absent: the platform assigns one.
        file: the content, a path relative to the mock file's folder; absent: a small placeholder file.
        name: the item's name; default the file's base name.
        remote_path: the folder on the platform, starting with ``/``.
        dataset: id or name of a declared dataset; absent: the case's first declared dataset, else one the
            harness creates.
        metadata: merged into the item's metadata (e.g. ``{"user": {...}}``).
        annotations: raw annotation JSON, passed to the platform as is; an ``id`` there fixes the
            annotation's id, so that an ``Annotation`` input can name it (``{"annotation_id": "ann-1"}``).
    """

    id: str | None = Field(None, min_length=1)
    file: str | None = Field(None, min_length=1)
    name: str | None = Field(None, min_length=1)
    remote_path: str = "/"
    dataset: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    annotations: list[dict[str, Any]] = Field(default_factory=list)

    @field_validator("file")
    @classmethod
    def relative_file(cls, value: str | None) -> str | None:
        return _relative(value, "the mock file's folder")

    @field_validator("remote_path")
    @classmethod
    def absolute_folder(cls, value: str) -> str:
        if not value.startswith("/"):
            raise fail(problem((), "a platform folder starting with '/'", value, f"did you mean {'/' + value!r}?"))
        return value

    @field_validator("name")
    @classmethod
    def plain_name(cls, value: str | None) -> str | None:
        if value is not None and "/" in value:
            raise fail(problem((), "a name without '/' (put folders in remote_path)", value))
        return value

    @property
    def filename(self) -> str | None:
        """The item's full platform path (``/train/cat.jpg``), when its name is known."""
        name = self.name or (PurePosixPath(self.file).name if self.file else None)
        return f"{self.remote_path.rstrip('/')}/{name}" if name else None


class ArtifactSpec(Own):
    """A file the platform keeps as an artifact of a package before the case runs.

    Attributes:
        package: the package whose artifacts it is (``/artifacts/packages/<package>/`` in the project's
            ``Binaries`` dataset); default the package under test.
        file: the content, a path relative to the package folder; the artifact is named after it.
    """

    package: str | None = Field(None, min_length=1)
    file: str = Field(min_length=1)  # relative and existing: checked with the others by load_mock

    @property
    def absolute(self) -> bool:
        return PurePosixPath(self.file).is_absolute() or PureWindowsPath(self.file).is_absolute()

    @property
    def name(self) -> str:
        return PurePosixPath(self.file.replace("\\", "/")).name
