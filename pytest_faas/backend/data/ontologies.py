"""Ontologies: the label trees (names, colours, attributes, nested labels) that recipes point at.

The platform stores labels as ``roots``: ``[{"value": {"tag", "displayLabel", "color", "attributes",
"displayData"}, "children": [<same shape>]}]``. dtlpy adds labels by sending flat nodes whose nested ones
are spelled with dots (``{"tag": "animal.dog"}``); this module turns those into the tree, and gives a label
sent without a colour one of its own, as the platform does, so that annotation colours have a value.
"""

from __future__ import annotations

import re

from ...errors import BadRequest, NotFound
from ...ids import new_id, now_iso
from ..records import LOCAL_USER
from ..store import Store

KIND = "ontologies"
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
# Colours handed to labels sent without one, in turn (by how many labels the ontology already has).
_PALETTE = ["#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#911eb4", "#46f0f0", "#f032e6",
            "#bcf60c", "#fabebe", "#008080", "#e6beff", "#9a6324", "#fffac8", "#800000", "#aaffc3"]
MAX_DEPTH = 20


def _color(value, where: str, fallback: str) -> str:
    if value is None:
        return fallback
    if isinstance(value, (list, tuple)) and len(value) == 3 and all(type(c) is int and 0 <= c <= 255 for c in value):
        return "#{:02x}{:02x}{:02x}".format(*value)
    if isinstance(value, str) and _HEX.match(value):
        return value.lower()
    raise BadRequest(f"{where}.color must be a colour like '#ff0000' or [255, 0, 0], got {value!r}")


def _tag(value, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{where}.tag must be a non-empty string (the label name), got {value!r}")
    return value


def _list(value, where: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadRequest(f"{where} must be a list, got {type(value).__name__}")
    return value


def _count(roots: list[dict]) -> int:
    return sum(1 + _count(root["children"]) for root in roots)


class Ontologies:
    """Ontology records (kind ``ontologies``, parent: the first project id)."""

    def __init__(self, store: Store):
        self.store = store

    # -- records --------------------------------------------------------------------------------------

    def create(self, project_ids: list, roots=None, attributes=None, title: str | None = None) -> dict:
        if not isinstance(project_ids, list) or not all(isinstance(p, str) and p for p in project_ids):
            raise BadRequest(f"'projectIds' must be a list of project ids, got {project_ids!r}")
        tree = self._roots(_list(roots, "roots"), "roots")
        attributes = _list(attributes, "attributes")
        ontology_id = new_id()
        created = now_iso()
        record = {"id": ontology_id, "title": title or f"ontology-{ontology_id[-6:]}", "creator": LOCAL_USER,
                  "createdAt": created, "updatedAt": created, "url": f"/ontologies/{ontology_id}",
                  "roots": tree, "attributes": attributes,
                  "metadata": {"system": {"projectIds": list(project_ids)}, "attributes": attributes}}
        return self.store.put(KIND, record, parent=project_ids[0] if project_ids else "")

    def get(self, ontology_id: str) -> dict:
        return self.store.get(KIND, ontology_id, "Ontology")

    def list(self, project_ids: list[str] | None = None, ids: list[str] | None = None) -> list[dict]:
        found = self.store.all(KIND)
        if ids:
            found = [o for o in found if o["id"] in ids]
        if project_ids:
            found = [o for o in found if set(o["metadata"]["system"]["projectIds"]) & set(project_ids)]
        return found

    def replace(self, ontology_id: str, body: dict) -> dict:
        with self.store.transaction():  # read, check and write as one
            return self._replace(ontology_id, body)

    def _replace(self, ontology_id: str, body: dict) -> dict:
        """``PUT /ontologies/<id>``: dtlpy sends the whole ontology back with its labels as roots."""
        record = dict(self.get(ontology_id))
        if "roots" in body:
            record["roots"] = self._roots(_list(body["roots"], "roots"), "roots")
        if "attributes" in body:
            record["attributes"] = _list(body["attributes"], "attributes")
            record["metadata"] = {**record["metadata"], "attributes": record["attributes"]}
        if body.get("title") is not None:
            if not isinstance(body["title"], str):
                raise BadRequest(f"'title' must be a string, got {body['title']!r}")
            record["title"] = body["title"]
        record["updatedAt"] = now_iso()
        return self.store.put(KIND, record)

    def delete(self, ontology_id: str) -> None:
        self.get(ontology_id)
        self.store.delete(KIND, ontology_id)

    # -- labels ---------------------------------------------------------------------------------------

    def upsert_labels(self, ontology_id: str, body: dict) -> dict:
        with self.store.transaction():  # read, check and write as one
            return self._upsert_labels(ontology_id, body)

    def _upsert_labels(self, ontology_id: str, body: dict) -> dict:
        """``PATCH /ontologies/<id>/labels``: flat ``labelsNode`` entries, nested ones as ``parent.child``.

        With ``upsert`` false only existing labels may be named (an update); with it true, missing ones are
        added. A nested label's parent must exist or come earlier in the same request. All-or-nothing.
        """
        record = self.get(ontology_id)
        nodes = _list(body.get("labelsNode"), "labelsNode")
        upsert = body.get("upsert", False)
        if not isinstance(upsert, bool):
            raise BadRequest(f"'upsert' must be true or false, got {upsert!r}")
        roots = [self._copy(root) for root in record["roots"]]
        for i, node in enumerate(nodes):
            where = f"labelsNode[{i}]"
            if not isinstance(node, dict):
                raise BadRequest(f"{where} must be an object like {{'tag': 'dog'}}, got {node!r}")
            path = _tag(node.get("tag"), where).split(".")
            siblings = roots
            for depth, name in enumerate(path[:-1]):
                parent = next((r for r in siblings if r["value"]["tag"] == name), None)
                if parent is None:
                    missing = ".".join(path[: depth + 1])
                    raise BadRequest(f"{where}.tag {node['tag']!r}: its parent label {missing!r} does not exist; "
                                     "add the parent first")
                siblings = parent["children"]
            existing = next((r for r in siblings if r["value"]["tag"] == path[-1]), None)
            if existing is None and not upsert:
                raise NotFound(f"{where}: label {node['tag']!r} does not exist in ontology {ontology_id}; "
                               "send 'upsert': true to add it")
            if existing is None:
                existing = {"value": {"tag": path[-1], "displayLabel": path[-1], "attributes": [],
                                      "displayData": {}, "color": _PALETTE[_count(roots) % len(_PALETTE)]},
                            "children": []}
                siblings.append(existing)
            self._apply(existing["value"], node, where)
        updated = {**record, "roots": roots, "updatedAt": now_iso()}
        return self.store.put(KIND, updated)

    def _apply(self, value: dict, node: dict, where: str) -> None:
        if "color" in node:
            value["color"] = _color(node["color"], where, value.get("color"))
        if node.get("displayLabel") is not None:
            if not isinstance(node["displayLabel"], str):
                raise BadRequest(f"{where}.displayLabel must be a string, got {node['displayLabel']!r}")
            value["displayLabel"] = node["displayLabel"]
        if "attributes" in node:
            value["attributes"] = _list(node["attributes"], f"{where}.attributes")
        if "displayData" in node:
            if not isinstance(node["displayData"], dict):
                raise BadRequest(f"{where}.displayData must be an object, got {node['displayData']!r}")
            value["displayData"] = node["displayData"]

    def _copy(self, root: dict) -> dict:
        return {"value": dict(root["value"]), "children": [self._copy(c) for c in root["children"]]}

    def _roots(self, roots: list, where: str, depth: int = 0, counter: list | None = None) -> list[dict]:
        """Validate and normalise roots as dtlpy sends them (``{"value": {...}, "children": [...]}``)."""
        if depth > MAX_DEPTH:
            raise BadRequest(f"{where}: labels nested deeper than {MAX_DEPTH} levels")
        counter = counter if counter is not None else [0]
        tree = []
        for i, root in enumerate(roots):
            here = f"{where}[{i}]"
            if not isinstance(root, dict):
                raise BadRequest(f"{here} must be an object like {{'value': {{'tag': 'dog'}}, 'children': []}}")
            sent = root.get("value", root)
            if not isinstance(sent, dict):
                raise BadRequest(f"{here}.value must be an object with a 'tag'")
            tag = _tag(sent.get("tag", sent.get("label_name")), f"{here}.value")
            value = {"tag": tag, "displayLabel": tag, "attributes": [], "displayData": {},
                     "color": _PALETTE[counter[0] % len(_PALETTE)]}
            counter[0] += 1
            self._apply(value, sent, f"{here}.value")
            children = self._roots(_list(root.get("children"), f"{here}.children"), f"{here}.children",
                                   depth + 1, counter)
            tree.append({"value": value, "children": children})
        return tree
