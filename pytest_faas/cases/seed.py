"""What a generated case needs on the platform before it runs: its datasets, items and placeholders.

A mock file may declare datasets and items (see :mod:`pytest_faas.manifests.mock`). Where an input names an
entity by id and the mock declares nothing more, a placeholder with exactly that id is made, so that a
`mock.json` written for `dlp packages test` runs unchanged.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ManifestError
from ..manifests.mock import DatasetSpec, ItemSpec, MockCase
from ..mocks.files import png_bytes

# Input types whose mock values are ids the harness can seed (docs/platform.md#input-types).
_SEEDABLE = {"Item": "item_id", "Dataset": "dataset_id"}


def referenced_ids(value: Any, input_type: str) -> list[str]:
    """The ids an input value names for a seedable type: a bare id, a ``{<type>_id}`` dict, or lists of them."""
    base = input_type.removesuffix("[]")
    key = _SEEDABLE.get(base)
    if key is None:
        return []
    values = value if isinstance(value, list) else [value]
    ids = []
    for entry in values:
        if isinstance(entry, str) and entry:
            ids.append(entry)
        elif isinstance(entry, dict) and isinstance(entry.get(key), str) and entry[key]:
            ids.append(entry[key])
    return ids


@dataclass
class SeedPlan:
    """Requests for the seeding routes, in the order they must be sent."""

    datasets: list[dict] = field(default_factory=list)
    items: list[dict] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.datasets and not self.items


def plan(case: MockCase, input_types: dict[str, str], mock_file: Path) -> SeedPlan:
    """Turn a case's declared entities, and the ids its inputs name, into seeding requests.

    Dataset and item requests carry ``projectId``/``datasetId`` placeholders (``None``) that the runner fills
    in with the case's project and default dataset.
    """
    result = SeedPlan()
    names: dict[str, str | None] = {}  # a dataset's id or name -> its fixed id (None: platform-assigned)
    for spec in case.datasets:
        result.datasets.append(_dataset(spec))
        names[spec.id or spec.name or ""] = spec.id
        if spec.name:
            names[spec.name] = spec.id
    default_dataset = case.datasets[0] if case.datasets else None
    declared_items = {spec.id for spec in case.items if spec.id}
    declared_datasets = {spec.id for spec in case.datasets if spec.id}

    for spec in case.items:
        target = spec.dataset or (default_dataset.id or default_dataset.name if default_dataset else None)
        result.items.append(item_request(spec, case.base_dir or mock_file.parent, mock_file, target))

    for name, value in case.inputs.items():
        input_type = input_types.get(name)
        if input_type is None:
            continue
        for entity_id in referenced_ids(value, input_type):
            if input_type.startswith("Item") and entity_id not in declared_items:
                result.items.append({"id": entity_id, "path": f"/{entity_id}.png", "dataset": None,
                                     "contentBase64": base64.b64encode(png_bytes()).decode()})
                declared_items.add(entity_id)
            elif input_type.startswith("Dataset") and entity_id not in declared_datasets:
                result.datasets.append({"id": entity_id, "name": entity_id})
                declared_datasets.add(entity_id)
    return result


def _dataset(spec: DatasetSpec) -> dict:
    return {"id": spec.id, "name": spec.name or spec.id}


def item_request(spec: ItemSpec, base_dir: Path, mock_file: Path, dataset: str | None = None) -> dict:
    """The seeding request of one declared item; its file is read relative to ``base_dir``."""
    if spec.file:
        path = base_dir / spec.file
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ManifestError(str(mock_file), "items[].file", "a readable file relative to the mock file",
                                spec.file, f"{exc.strerror}: {path}") from None
    else:
        data = png_bytes()
    name = spec.name or (Path(spec.file).name if spec.file else f"{spec.id or 'item'}.png")
    folder = spec.remote_path.rstrip("/")
    return {"id": spec.id, "path": f"{folder}/{name}", "dataset": dataset,
            "contentBase64": base64.b64encode(data).decode(), "metadata": spec.metadata or None,
            "annotations": spec.annotations or None}


def fixed_ids(case: MockCase, input_types: dict[str, str]) -> frozenset[str]:
    """The ids the case's seeding fixes, each replacing what an earlier case left under it: two cases that
    share one must not run at once (see plugin/ahead.py). Artifacts count by the path they are kept at."""
    fixed = {spec.id for spec in (*case.items, *case.datasets) if spec.id}
    for name, value in case.inputs.items():
        input_type = input_types.get(name)
        if input_type is not None:
            fixed.update(referenced_ids(value, input_type))
    fixed.update(f"artifact:{artifact.package or ''}/{artifact.name}" for artifact in case.artifacts)
    return frozenset(fixed)
