"""Hypothesis properties of `pytest_faas.dql.compiler`: logic laws, negations, paging, robustness, path idempotence."""

from __future__ import annotations

import math

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pytest_faas.dql.compiler import DQLError, compile_filter, item_path, matches, run_query


def sort_documents(docs: list[dict], sort: dict | None) -> list[dict]:
    """The documents as a query with only ``sort`` answers them (the platform's one way to sort)."""
    return run_query(docs, {"filter": {}, "sort": sort or {}, "pageSize": 1000})["items"]

FIELDS = ["a", "b", "c", "a.x", "b.y", "a.0", "missing"]
# Few distinct values, so that equalities and comparisons actually hit.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([0.0, 1.0, 2.5, -1.5]),
    st.text(alphabet="ab/*", max_size=4),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["x", "y", "a"]), inner, max_size=3),
    max_leaves=8,
)
docs_st = st.dictionaries(st.sampled_from(["a", "b", "c"]), json_values, max_size=3)
comparable = st.one_of(st.integers(-3, 3), st.sampled_from([0.5, 2.5]), st.text(alphabet="ab", max_size=3))
literals = st.one_of(scalars, st.lists(scalars, max_size=2))  # never a dict: a dict of '$' keys is an operator

conditions = st.one_of(
    literals,
    st.builds(lambda v: {"$eq": v}, literals),
    st.builds(lambda v: {"$ne": v}, literals),
    st.builds(lambda vs: {"$in": vs}, st.lists(literals, max_size=3)),
    st.builds(lambda vs: {"$nin": vs}, st.lists(literals, max_size=3)),
    st.builds(lambda op, v: {op: v}, st.sampled_from(["$gt", "$gte", "$lt", "$lte"]), comparable),
    st.builds(lambda b: {"$exists": b}, st.booleans()),
    st.builds(lambda sub: {"$match": sub}, st.fixed_dictionaries({"x": scalars})),
)
clauses = st.builds(lambda f, c: {f: c}, st.sampled_from(FIELDS), conditions)
filters = st.recursive(
    clauses,
    lambda inner: st.builds(lambda xs: {"$and": xs}, st.lists(inner, max_size=3))
    | st.builds(lambda xs: {"$or": xs}, st.lists(inner, min_size=1, max_size=3))
    | st.builds(lambda a, b: {**a, **b}, inner, inner),
    max_leaves=6,
)
sorts = st.one_of(
    st.none(),
    st.dictionaries(st.sampled_from(["a", "b", "a.x", "id"]), st.sampled_from(["ascending", "descending"]), max_size=2),
)


@given(st.lists(filters, max_size=4), docs_st)
def test_and_is_all_of_parts(parts, doc):
    assert matches({"$and": parts}, doc) == all(matches(p, doc) for p in parts)


@given(st.lists(filters, min_size=1, max_size=4), docs_st)
def test_or_is_any_of_parts(parts, doc):
    assert matches({"$or": parts}, doc) == any(matches(p, doc) for p in parts)


@given(filters, filters, docs_st)
def test_top_level_and_or_together_are_anded(left, right, doc):
    assert matches({"$and": [left], "$or": [right]}, doc) == (matches(left, doc) and matches(right, doc))


@given(st.sampled_from(FIELDS), literals, docs_st)
def test_ne_negates_eq_and_bare_value_is_eq(field, value, doc):
    eq = matches({field: {"$eq": value}}, doc)
    assert matches({field: value}, doc) == eq
    assert matches({field: {"$ne": value}}, doc) == (not eq)


@given(st.sampled_from(FIELDS), st.lists(literals, max_size=4), docs_st)
def test_nin_negates_in_and_in_is_any_eq(field, values, doc):
    is_in = matches({field: {"$in": values}}, doc)
    assert matches({field: {"$nin": values}}, doc) == (not is_in)
    assert is_in == any(matches({field: {"$eq": v}}, doc) for v in values)


@given(literals, st.lists(literals, max_size=3))
def test_a_value_equals_itself_and_only_json_equal_values(value, others):
    doc = {"f": value}
    assert matches({"f": value}, doc) and matches({"f": {"$in": [*others, value]}}, doc)
    assert not matches({"f": {"$ne": value}}, doc) and not matches({"f": {"$nin": [value, *others]}}, doc)
    for other in others:  # True is not 1, False is not 0, as in JSON (and unlike Python's ==)
        if type(other) is bool and type(value) is not bool and not isinstance(value, list):
            assert not matches({"f": other}, doc) and not matches({"f": {"$in": [other]}}, doc)


@given(st.sampled_from(FIELDS), st.booleans(), docs_st)
def test_exists_false_negates_exists_true(field, flag, doc):
    assert matches({field: {"$exists": flag}}, doc) == (not matches({field: {"$exists": not flag}}, doc))


@given(st.text(alphabet="ab/.", max_size=6), st.text(alphabet="ab/.*", max_size=8))
def test_wildcard_suffixes(prefix, value):
    assume("*" not in prefix)
    for field in ("filename", "v"):
        assert matches({field: prefix}, {field: value}) == (prefix == value)
        assert matches({field: prefix + "/**"}, {field: value}) == value.startswith(prefix + "/")
    rest = value[len(prefix) :]
    # a single * stays within a folder on a path field, and matches any rest on another field
    assert matches({"filename": prefix + "*"}, {"filename": value}) == (value.startswith(prefix) and "/" not in rest)
    assert matches({"v": prefix + "*"}, {"v": value}) == value.startswith(prefix)


@given(st.lists(docs_st, max_size=30), filters, sorts, st.integers(1, 12))
def test_pages_concatenate_to_the_sorted_result(docs, filt, sort, size):
    pred = compile_filter(filt)
    expected = [d for d in sort_documents(docs, sort) if pred(d)]
    query = {"filter": filt, "sort": sort, "pageSize": size}
    first = run_query(docs, {**query, "page": 0})
    assert first["totalItemsCount"] == len(expected)
    assert first["totalPagesCount"] == math.ceil(len(expected) / size)
    seen = []
    for page in range(first["totalPagesCount"] + 1):
        result = run_query(docs, {**query, "page": page})
        assert result["hasNextPage"] == (page < first["totalPagesCount"] - 1)
        assert len(result["items"]) <= size
        seen += result["items"]
    assert [id(d) for d in seen] == [id(d) for d in expected]


@given(
    st.lists(docs_st, max_size=30).map(lambda ds: [{**d, "id": f"{(i * 37) % 101:06d}"} for i, d in enumerate(ds)]),
    filters,
    st.integers(1, 8),
)
def test_keyset_paging_equals_offset_paging(docs, filt, size):
    def query(extra, page):
        return {"filter": {"$and": [filt, *extra]}, "sort": {"id": "ascending"}, "page": page, "pageSize": size}

    offset, page = [], 0
    while True:
        result = run_query(docs, query([], page))
        offset += result["items"]
        if not result["hasNextPage"]:
            break
        page += 1
    keyset, last = [], None
    while True:  # what dtlpy's PagedEntities does for items and annotations
        result = run_query(docs, query([{"id": {"$gt": last}}] if last else [], 0))
        keyset += result["items"]
        if not result["items"] or not result["hasNextPage"]:
            break
        last = result["items"][-1]["id"]
    assert [d["id"] for d in keyset] == [d["id"] for d in offset]


garbage_keys = st.sampled_from(
    ["$and", "$or", "$eq", "$ne", "$in", "$nin", "$gt", "$gte", "$lt", "$lte", "$exists", "$match", "$foo"]
    + ["a", "a.b", "", ".", "a..b"]
)
garbage = st.recursive(
    st.one_of(scalars, st.floats(), st.integers()),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(garbage_keys, inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=300)
@given(garbage, st.lists(docs_st, max_size=4))
def test_garbage_filters_compile_or_raise_dql_error(filt, docs):
    try:
        pred = compile_filter(filt)
    except DQLError as error:
        assert str(error).startswith("invalid DQL at filter")
        return
    for doc in docs:
        assert pred(doc) in (True, False)


@given(
    st.dictionaries(st.sampled_from(["filter", "sort", "page", "pageSize", "join", "x"]), garbage, max_size=4),
    st.lists(docs_st, max_size=4),
)
def test_garbage_queries_answer_or_raise_dql_error(query, docs):
    try:
        result = run_query(docs, query)
    except DQLError:
        return
    assert result["totalItemsCount"] >= len(result["items"])


@given(
    st.lists(st.dictionaries(st.sampled_from(["k", "n"]), json_values | st.floats(), max_size=2)),
    st.dictionaries(st.sampled_from(["k", "n", "k.x", "k.0"]), st.sampled_from(["ascending", "descending"]), max_size=3),
)
def test_sort_documents_never_raises_and_is_a_stable_permutation(docs, sort):
    result = sort_documents(docs, sort)
    assert sorted(map(id, result)) == sorted(map(id, docs))
    assert list(map(id, sort_documents(result, sort))) == list(map(id, result))  # stable, so idempotent


@given(st.text(alphabet="ab./\\ *", max_size=16), st.none() | st.text(alphabet="ab./\\", max_size=6))
def test_item_path_is_idempotent(remote_path, name):
    try:
        result = item_path(remote_path, name)
    except ValueError:
        return
    assert result["filename"].startswith("/") and "//" not in result["filename"]
    assert result["dir"] == "/" or not result["dir"].endswith("/")
    assert result["filename"] == (result["dir"].rstrip("/") + "/" + result["name"])
    assert item_path(result["filename"]) == result
    assert item_path(result["dir"], result["name"]) == result
