"""Hypothesis strategies for platform entities: item paths, item records, annotations, mock inputs.

Hypothesis is an optional extra (``pytest-faas[hypothesis]``); it is imported when a strategy is first
built, with a clear message if it is missing.

Example:
    >>> from pytest_faas.mocks import strategies as fs        # doctest: +SKIP
    >>> @given(fs.items())
    ... def test_my_filter(item): ...
"""

from __future__ import annotations

from typing import Any


def _st():
    try:
        from hypothesis import strategies  # noqa: PLC0415
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("pytest_faas.mocks.strategies needs Hypothesis: pip install 'pytest-faas[hypothesis]'") from None
    return strategies


_NAME_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_-"


def path_segments(max_depth: int = 3, hidden: bool | None = False):
    """Remote folder segments; ``hidden=None`` allows dot-folders, True forces one."""
    st = _st()
    plain = st.text(_NAME_CHARS, min_size=1, max_size=8)
    dotted = plain.map(lambda s: "." + s)
    segment = plain if hidden is False else st.one_of(plain, dotted)
    segments = st.lists(segment, max_size=max_depth)
    if hidden:
        segments = st.tuples(segments, dotted).map(lambda pair: pair[0] + [pair[1]])
    return segments


def remote_paths(max_depth: int = 3, extensions=("jpg", "png", "txt", "json"), hidden: bool | None = False):
    """Full remote paths such as ``/train/cats/img_3.jpg``."""
    st = _st()
    name = st.builds(lambda stem, ext: f"{stem}.{ext}", st.text(_NAME_CHARS, min_size=1, max_size=10),
                     st.sampled_from(extensions))
    return st.builds(lambda folders, leaf: "/" + "/".join([*folders, leaf]), path_segments(max_depth, hidden), name)


def user_metadata():
    """``metadata.user`` dicts of JSON scalars and small lists."""
    st = _st()
    scalar = st.one_of(st.none(), st.booleans(), st.integers(-1000, 1000), st.text(max_size=12))
    value = st.one_of(scalar, st.lists(scalar, max_size=3))
    return st.dictionaries(st.text(_NAME_CHARS, min_size=1, max_size=8), value, max_size=4)


def items(dataset: dict | None = None, hidden: bool | None = False):
    """Item records as the platform stores them (see :func:`pytest_faas.backend.records.item_json`)."""
    from ..dql import compiler as dql  # noqa: PLC0415
    from ..backend import records as entities  # noqa: PLC0415

    st = _st()
    dataset = dataset or entities.dataset_json("strategy-dataset", "000000000000000000000001")
    return st.builds(
        lambda path, size, metadata: entities.item_json(dataset, dql.item_path(path), size,
                                                        metadata={"user": metadata}),
        remote_paths(hidden=hidden), st.integers(0, 10_000_000), user_metadata())


def annotation_definitions():
    """What the SDK sends for one annotation: type, label, coordinates and attributes."""
    st = _st()
    label = st.sampled_from(["cat", "dog", "car", "person", "tree"])
    coordinate = st.integers(0, 4096)
    box = st.builds(lambda l, a, b, c, d, attrs: {"type": "box", "label": l, "attributes": attrs,
                                                  "coordinates": [{"x": min(a, c), "y": min(b, d), "z": 0},
                                                                  {"x": max(a, c), "y": max(b, d), "z": 0}]},
                    label, coordinate, coordinate, coordinate, coordinate, st.lists(st.text(max_size=6), max_size=2))
    point = st.builds(lambda l, x, y: {"type": "point", "label": l, "coordinates": {"x": x, "y": y, "z": 0}},
                      label, coordinate, coordinate)
    classification = st.builds(lambda l: {"type": "class", "label": l}, label)
    return st.one_of(box, point, classification)


def annotations(item: dict | None = None):
    """Annotation records on ``item`` (a generated one when None), complete as the platform returns them."""
    from ..backend import records as entities  # noqa: PLC0415

    st = _st()
    if item is None:
        return items().flatmap(lambda it: annotation_definitions().map(lambda sent: entities.annotation_json(it, sent)))
    return annotation_definitions().map(lambda sent: entities.annotation_json(item, sent))


def mock_inputs(names: list[str] | None = None) -> Any:
    """``inputs`` lists of a mock.json input set: ``[{"name": ..., "value": <JSON>}]``."""
    st = _st()
    json_values = st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                  st.text(max_size=20)),
        lambda children: st.one_of(st.lists(children, max_size=3),
                                   st.dictionaries(st.text(max_size=6), children, max_size=3)),
        max_leaves=8)
    if names is not None:
        return st.tuples(*[json_values for _ in names]).map(
            lambda values: [{"name": n, "value": v} for n, v in zip(names, values)])
    return st.lists(st.builds(lambda n, v: {"name": n, "value": v}, st.text(_NAME_CHARS, min_size=1, max_size=8),
                              json_values), max_size=4, unique_by=lambda d: d["name"])
