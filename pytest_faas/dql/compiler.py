"""Dataloop's query language (DQL): compile filters, sort, page, and derive item paths.

Pure functions, no I/O. The local platform runs every ``POST /datasets/{id}/query``, ``/query/faas`` and
trigger filter through here (docs/platform.md#dql-filters). Semantics follow MongoDB, which
DQL is modelled on: a dotted path that crosses an array looks into each element, equality against an array
matches any element, and ``$ne``/``$nin`` are exact negations (so they also match a missing field).
Dataloop adds implicit globbing: a string value containing ``*`` is a wildcard on any string field. On the
path fields ``filename`` and ``dir`` a ``*`` stays within one folder and ``**`` crosses ``/``; on every other
field (``{"metadata.system.mimetype": "*png"}``) both match anything.

A filter is compiled once into closures (`compile_filter`) and then applied per document; malformed
filters fail at compile time with a `DQLError` naming the place (``filter.$and[1].dir``) and the fix,
never with another exception at match time.
"""

from __future__ import annotations

import math
import operator
import re
from typing import Any, Callable, Iterable, NamedTuple

from pytest_faas.errors import BadRequest

Predicate = Callable[[dict], bool]

MAX_PAGE_SIZE = 1000
MAX_DEPTH = 64  # a REST client can send any nesting; answer 400, not RecursionError (500)
_MISSING = object()
_COMPARISONS = {"$gt": operator.gt, "$gte": operator.ge, "$lt": operator.lt, "$lte": operator.le}
_FIELD_OPS = ("$eq", "$ne", "$in", "$nin", "$gt", "$gte", "$lt", "$lte", "$exists", "$match", "$or", "$and")
_DIRECTIONS = {"ascending": False, "descending": True}


class DQLError(BadRequest):
    """A filter, sort or paging value the platform would refuse (HTTP 400).

    Attributes:
        location: JSON-path-like place of the problem, starting at ``filter``, ``sort`` or ``query``.
    """

    def __init__(self, message: str, *, location: str | None = None):
        super().__init__(message)
        self.location = location


def _fail(loc: str, problem: str) -> DQLError:
    return DQLError(f"invalid DQL at {loc}: {problem}", location=loc)


def _show(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"


def _same(a: Any, b: Any) -> bool:
    """JSON equality: unlike Python's ``==``, ``True`` is not ``1`` and ``False`` is not ``0``."""
    if type(a) is bool or type(b) is bool:
        return a is b
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(v, b[k]) for k, v in a.items())
    return not isinstance(b, (list, dict)) and a == b


PATH_FIELDS = ("filename", "dir")  # fields holding item paths: there a single ``*`` stops at ``/``


def _wildcard(pattern: str, path: bool = False) -> Callable[[Any], bool]:
    """``**`` matches anything including ``/``; ``*`` anything but ``/`` on a path field, else anything;
    the rest is literal."""
    glob = {"**": ".*", "*": "[^/]*" if path else ".*"}
    regex = "".join(glob.get(tok) or re.escape(tok) for tok in re.split(r"(\*\*|\*)", pattern))
    full = re.compile(regex, re.DOTALL).fullmatch
    return lambda c: isinstance(c, str) and full(c) is not None


def _equals(v: Any, path: bool = False) -> Callable[[Any], bool]:
    """A test for one present scalar value; specialised per literal type because it runs per document.
    ``path``: the field holds item paths (see :data:`PATH_FIELDS`)."""
    if isinstance(v, str):
        return _wildcard(v, path) if "*" in v else (lambda c: c == v)  # a str only ever equals a str
    if v is None or type(v) is bool:
        return lambda c: c is v
    if isinstance(v, (int, float)):
        return lambda c: c == v and type(c) is not bool and isinstance(c, (int, float))
    return lambda c: _same(c, v)


def _one_of(values: list, path: bool = False) -> Callable[[Any], bool]:
    """`$in` membership: a set lookup for plain scalars (keyed so bools stay apart from 0/1), tests otherwise."""
    keys, tests = set(), []
    for v in values:
        if v is None or isinstance(v, (int, float)) or isinstance(v, str) and "*" not in v:
            keys.add((type(v) is bool, v))
        else:  # wildcards, arrays, objects
            tests.append(_equals(v, path))

    def test(c: Any) -> bool:
        if (c is None or isinstance(c, (str, int, float))) and (type(c) is bool, c) in keys:
            return True
        return any(t(c) for t in tests)

    return test


def _or_elements(test: Callable[[Any], bool]) -> Callable[[Any], bool]:
    # Mongo: a condition on an array field also holds when it holds for any element.
    return lambda c: test(c) or (type(c) is list and any(map(test, c)))


def _comparison(op: Callable[[Any, Any], bool], v: Any) -> Callable[[Any], bool]:
    if isinstance(v, str):  # ISO dates and ids compare as strings
        return lambda c: isinstance(c, str) and op(c, v)
    return lambda c: isinstance(c, (int, float)) and type(c) is not bool and op(c, v)


class _Simple(NamedTuple):
    """Matches when any value found at the path passes `test` (`when_missing` if none), maybe negated.

    Every operator but per-field ``$and``/``$or`` has this shape; keeping it open (rather than a closure
    over the found values) lets a top-level field test the one value without building a list.
    """

    test: Callable[[Any], bool]
    when_missing: bool
    negate: bool


# The general field condition: the list of values found at a path (empty when missing) -> bool.
_Condition = Callable[[list], bool]


def _as_function(cond: _Simple | _Condition) -> _Condition:
    if not isinstance(cond, _Simple):
        return cond
    test, when_missing, negate = cond

    def holds(found: list) -> bool:
        if not found:
            return when_missing != negate
        return any(map(test, found)) != negate

    return holds


def _compile_operator(op: str, arg: Any, loc: str, depth: int, path: bool = False) -> _Simple | _Condition:
    if op in ("$eq", "$ne"):
        return _Simple(_or_elements(_equals(arg, path)), arg is None, op == "$ne")  # Mongo: {f: null} also means missing
    if op in ("$in", "$nin"):
        if not isinstance(arg, list):
            raise _fail(loc, f"'{op}' needs a list of values, got {_show(arg)} (wrap it in a list: [{arg!r}])")
        return _Simple(_or_elements(_one_of(arg, path)), any(v is None for v in arg), op == "$nin")
    if op in _COMPARISONS:
        if type(arg) is bool or not isinstance(arg, (int, float, str)) or arg != arg:
            raise _fail(loc, f"'{op}' needs a number or a string (dates as ISO strings), got {_show(arg)}")
        return _Simple(_or_elements(_comparison(_COMPARISONS[op], arg)), False, False)
    if op == "$exists":
        if type(arg) is not bool:
            raise _fail(loc, f"'$exists' needs true or false, got {_show(arg)}")
        return _Simple(lambda c: True, False, not arg)
    if op == "$match":
        if not isinstance(arg, dict) or not arg:
            raise _fail(loc, f"'$match' needs a non-empty object, matched against each array element, got {_show(arg)}")
        if all(k in _FIELD_OPS and k not in ("$and", "$or") for k in arg):  # {"$match": {"$gt": 3}}: scalar elements
            element = _as_function(_compile_condition(arg, loc, depth + 1, path))
            sub = lambda e: element([e])  # noqa: E731
        else:
            sub_doc = _compile_document(arg, loc, depth + 1)
            sub = lambda e: isinstance(e, dict) and sub_doc(e)  # noqa: E731
        return _Simple(lambda c: type(c) is list and any(map(sub, c)), False, False)
    if op in ("$or", "$and"):  # per-field form the SDK emits for FiltersOperations.OR/AND: {f: {"$or": [v1, v2]}}
        if not isinstance(arg, list) or (op == "$or" and not arg):
            raise _fail(loc, f"per-field '{op}' needs a non-empty list of values or conditions, got {_show(arg)}")
        parts = [_as_function(_compile_condition(v, f"{loc}[{i}]", depth + 1, path)) for i, v in enumerate(arg)]
        combine = any if op == "$or" else all
        return lambda found: combine(p(found) for p in parts)
    raise _fail(loc, f"unknown operator {op!r} (known: {', '.join(_FIELD_OPS)})")


def _compile_condition(value: Any, loc: str, depth: int, path: bool = False) -> _Simple | _Condition:
    """The right-hand side of ``{field: value}``: an operator object, or a literal to be equal to.
    ``path``: the field holds item paths (see :data:`PATH_FIELDS`)."""
    if depth > MAX_DEPTH:
        raise _fail(loc, f"nested deeper than {MAX_DEPTH} levels")
    if not (isinstance(value, dict) and any(isinstance(k, str) and k.startswith("$") for k in value)):
        return _compile_operator("$eq", value, loc, depth, path)  # includes plain objects: whole-document equality
    if not all(isinstance(k, str) and k.startswith("$") for k in value):
        raise _fail(loc, "an object mixes operators ('$...') with field names; put fields under '$match' or split it")
    conds = [_compile_operator(op, arg, f"{loc}.{op}", depth, path) for op, arg in value.items()]
    if len(conds) == 1:
        return conds[0]
    funcs = [_as_function(c) for c in conds]  # several operators on one field are ANDed
    return lambda found: all(f(found) for f in funcs)


def _field_parts(path: str, loc: str) -> list[str]:
    """The segments of a dotted field path, refused at compile time when one can never be looked up."""
    parts = path.split(".")
    if not all(parts):
        raise _fail(loc, f"field path {path!r} has an empty segment; write it like 'metadata.system.size'")
    for part in parts:
        # '²' or '٣' are digits to str.isdigit but not ASCII numbers: refused here rather than failing at
        # match time (a 500 for a query; for a stored trigger, every upload of its project).
        if part.isdigit() and not (part.isascii() and part.isdecimal()):
            raise _fail(loc, f"field path {path!r} has the segment {part!r}, which looks like a number but is "
                             "not one; array indexes are written with the digits 0-9")
    return parts


def _getter(path: str, loc: str) -> Callable[[dict], list]:
    """Every value at a dotted path; an array on the way is searched element by element (or by index)."""
    parts = _field_parts(path, loc)

    def walk(value: Any, i: int, out: list) -> None:
        if i == len(parts):
            out.append(value)
        elif isinstance(value, dict):
            if parts[i] in value:
                walk(value[parts[i]], i + 1, out)
        elif isinstance(value, list):
            # No list is longer than 18 digits: a longer segment is no index (int() of 4,300 digits raises).
            if parts[i].isascii() and parts[i].isdecimal() and len(parts[i]) <= 18 and int(parts[i]) < len(value):
                walk(value[int(parts[i])], i + 1, out)
            for element in value:
                if isinstance(element, dict):
                    walk(element, i, out)

    def get(doc: dict) -> list:
        out: list = []
        walk(doc, 0, out)
        return out

    return get


def _compile_field(path: str, value: Any, loc: str, depth: int) -> Predicate:
    parts = _field_parts(path, loc)
    cond = _compile_condition(value, loc, depth, parts[-1] in PATH_FIELDS)
    if "." in path or not isinstance(cond, _Simple):
        get, holds = _getter(path, loc), _as_function(cond)
        return lambda doc: holds(get(doc))
    test, when_missing, negate = cond
    missing_result = when_missing != negate

    def field(doc: dict) -> bool:  # the hot path: one dict lookup, one test
        c = doc.get(path, _MISSING)
        return missing_result if c is _MISSING else test(c) != negate

    return field


def _all_of(preds: list[Predicate]) -> Predicate:
    if len(preds) == 1:
        return preds[0]

    def conj(doc: dict) -> bool:
        for p in preds:
            if not p(doc):
                return False
        return True

    return conj


def _compile_document(filt: dict, loc: str, depth: int) -> Predicate:
    """A filter object: ``$and``/``$or`` lists and field clauses, all ANDed together."""
    if depth > MAX_DEPTH:
        raise _fail(loc, f"nested deeper than {MAX_DEPTH} levels")
    preds: list[Predicate] = []
    for key, value in filt.items():
        here = f"{loc}.{key}"
        if not isinstance(key, str) or not key:
            raise _fail(here, f"field names must be non-empty strings, got {_show(key)}")
        if key in ("$and", "$or"):
            if not isinstance(value, list) or (key == "$or" and not value):
                need = "a non-empty list" if key == "$or" else "a list"
                raise _fail(here, f"'{key}' needs {need} of filter objects, got {_show(value)}")
            subs = []
            for i, sub in enumerate(value):
                if not isinstance(sub, dict):
                    problem = f"each '{key}' entry must be a filter object like {{'dir': '/train'}}, got {_show(sub)}"
                    raise _fail(f"{here}[{i}]", problem)
                subs.append(_compile_document(sub, f"{here}[{i}]", depth + 1))
            preds.append(_all_of(subs) if key == "$and" else (lambda doc, subs=subs: any(s(doc) for s in subs)))
        elif key.startswith("$"):
            raise _fail(here, f"unknown operator {key!r} here (known here: $and, $or; others go under a field)")
        else:
            for path, cond in dotted_fields(key, value, depth):
                preds.append(_compile_field(path, cond, f"{loc}.{path}", depth + 1))
    return _all_of(preds) if preds else (lambda doc: True)


def _has_operator(value: Any, depth: int) -> bool:
    if not isinstance(value, dict) or depth > MAX_DEPTH:
        return False
    return any((isinstance(k, str) and k.startswith("$")) or _has_operator(v, depth + 1) for k, v in value.items())


def dotted_fields(key: str, value: Any, depth: int) -> list[tuple[str, Any]]:
    """The nested-document form as dotted paths: ``{"metadata": {"system": {"mimetype": {"$eq": "image/*"}}}}``
    is ``{"metadata.system.mimetype": {"$eq": "image/*"}}``, as the platform reads it (service.json
    trigger filters are written both ways).

    Only an object with an operator somewhere below is read so: an object of plain values stays a literal
    compared whole (``{"refs": {"type": "task", "id": "t1"}}`` matches an equal array element), and an object
    with operators cannot be a literal, so reading it whole could only never match.
    """
    if not isinstance(value, dict) or not value or depth > MAX_DEPTH or not _has_operator(value, depth):
        return [(key, value)]
    if any(isinstance(k, str) and k.startswith("$") for k in value):
        return [(key, value)]  # an operator object ends the path (a mix of fields and operators is refused there)
    fields: list[tuple[str, Any]] = []
    for sub, sub_value in value.items():
        fields.extend(dotted_fields(f"{key}.{sub}", sub_value, depth + 1))
    return fields


def compile_filter(filter: dict | None) -> Predicate:  # noqa: A002 - the name is the query key
    """Compile a DQL filter into a predicate over documents. Validation is eager.

    Args:
        filter: the ``filter`` part of a query; ``None`` or ``{}`` matches everything.

    Returns:
        A function ``doc -> bool`` that never raises for any JSON-like ``doc``.

    Raises:
        DQLError: the filter is malformed; the message names the place, e.g. ``filter.$and[1].dir``.
    """
    if filter is None:
        return lambda doc: True
    if not isinstance(filter, dict):
        raise _fail("filter", f"a filter must be an object like {{'$and': [...]}}, got {_show(filter)}")
    return _compile_document(filter, "filter", 0)


def matches(filter: dict | None, doc: dict) -> bool:  # noqa: A002
    """Whether ``doc`` passes ``filter``. Compiles each call: use `compile_filter` for many documents."""
    return compile_filter(filter)(doc)


def _sort_key(field: str) -> Callable[[dict], tuple]:
    get = _getter(field, f"sort.{field}") if "." in field else (lambda d: [d[field]] if field in d else [])

    def key(doc: dict) -> tuple:
        found = get(doc)
        v = found[0] if found else None
        if v is None:  # missing and null sort first when ascending
            return (0, 0)
        if type(v) is bool:
            return (1, v)
        if isinstance(v, (int, float)):
            return (2, -math.inf if v != v else v)  # NaN would break the total order
        if isinstance(v, str):
            return (3, v)
        return (4, repr(v))  # arrays/objects: arbitrary but deterministic, and never a TypeError

    return key


def _compile_sort(sort: Any) -> list[tuple[Callable[[dict], tuple], bool]]:
    if not sort:
        return []
    if not isinstance(sort, dict):
        raise _fail("sort", f"sort must be an object like {{'id': 'ascending'}}, got {_show(sort)}")
    keys = []
    for field, direction in sort.items():
        if not isinstance(field, str) or not field:
            raise _fail(f"sort.{field}", f"sort fields must be non-empty strings, got {_show(field)}")
        if not isinstance(direction, str) or direction not in _DIRECTIONS:
            raise _fail(f"sort.{field}", f"direction must be 'ascending' or 'descending', got {_show(direction)}")
        keys.append((_sort_key(field), _DIRECTIONS[direction]))
    return keys


def _sorted(docs: Iterable[dict], keys: list[tuple[Callable[[dict], tuple], bool]]) -> list[dict]:
    result = list(docs)
    # Successive stable sorts, least significant key first, give a lexicographic multi-key order.
    for key, reverse in reversed(keys):
        result.sort(key=key, reverse=reverse)
    return result


def _page_arg(query: dict, name: str, default: int, low: int, high: int | None) -> int:
    value = query.get(name)
    if value is None:
        return default
    if type(value) is not int or value < low or (high is not None and value > high):
        bound = f"from {low} to {high}" if high is not None else f"{low} or more"
        raise _fail(f"query.{name}", f"'{name}' must be an integer {bound}, got {_show(value)}")
    return value


def run_query(docs: Iterable[dict], query: dict, default_sort: dict | None = None) -> dict:
    """Filter, sort and page documents the way the platform answers a query request.

    ``join``, ``context``, ``resource`` and ``systemSpace`` are ignored: the caller picks the documents
    (context scoping, resource kind) before calling. Other unknown keys are ignored too, as the platform does.

    Args:
        docs: candidate documents; returned objects are the same objects, not copies.
        query: what ``dl.Filters.prepare()`` sends: ``{filter, sort?, page?, pageSize?, ...}``; ``page`` is 0-based.
        default_sort: used when the query has no (or an empty) ``sort``.

    Returns:
        ``{"items": [...], "totalItemsCount": n, "totalPagesCount": ceil(n / pageSize), "hasNextPage": bool}``.

    Raises:
        DQLError: malformed filter, sort, page or pageSize (which is at most 1000).
    """
    if not isinstance(query, dict):
        raise _fail("query", f"a query must be an object with a 'filter', got {_show(query)}")
    # "join" and "context" are deliberately not read: the caller scopes the documents (dataset, project,
    # annotation join) before handing them over, so this stays a pure function of (docs, query).
    pred = compile_filter(query.get("filter"))
    sort_keys = _compile_sort(query.get("sort") or default_sort)
    page = _page_arg(query, "page", 0, 0, None)
    size = _page_arg(query, "pageSize", MAX_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    found = _sorted(filter(pred, docs), sort_keys)
    start = page * size
    return {
        "items": found[start : start + size],
        "totalItemsCount": len(found),
        "totalPagesCount": -(-len(found) // size),
        "hasNextPage": start + size < len(found),
    }


# An item's path, as the platform bounds it: each folder on it is an item, each a node of directoryTree.
MAX_PATH_CHARS = 1024
MAX_PATH_DEPTH = 32


def _path_parts(path: str) -> list[str]:
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
    if ".." in parts:
        raise ValueError(f"item path {path!r} has '..'; remote paths cannot leave the dataset root")
    return parts


def item_path(remote_path: str, name: str | None = None) -> dict:
    """The path fields of an item: ``{"filename", "dir", "name", "hidden"}``.

    Args:
        remote_path: the full remote path, or the folder when ``name`` is given.
        name: the file name inside ``remote_path``.

    Returns:
        ``filename`` always starts with ``/``; ``dir`` is ``/`` for the root and has no trailing slash;
        ``hidden`` is true when any folder or the name starts with ``.``. ``//``, ``\\`` and ``./`` are
        normalised, so ``item_path(r["filename"]) == r``.

    Raises:
        ValueError: the path has ``..`` or no file name.
        TypeError: an argument is not a string.
    """
    if not isinstance(remote_path, str) or not (name is None or isinstance(name, str)):
        raise TypeError(f"item paths are strings, got {_show(remote_path)} and {_show(name)}")
    leaf = _path_parts(remote_path if name is None else name)
    if not leaf:
        raise ValueError(f"item path {remote_path if name is None else name!r} has no file name")
    parts = leaf if name is None else _path_parts(remote_path) + leaf
    if len(parts) > MAX_PATH_DEPTH:
        raise ValueError(f"the path is {len(parts)} levels deep: at most {MAX_PATH_DEPTH} levels (folders and the "
                         "name) are allowed")
    if sum(map(len, parts)) + len(parts) > MAX_PATH_CHARS:
        raise ValueError(f"the path is longer than {MAX_PATH_CHARS} characters")
    return {
        "filename": "/" + "/".join(parts),
        "dir": "/" + "/".join(parts[:-1]),
        "name": parts[-1],
        "hidden": any(p.startswith(".") for p in parts),
    }
