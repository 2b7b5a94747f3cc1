"""Ontologies: the label trees (names, colours, attributes, nested labels) that recipes point at.

The platform stores labels as ``roots``: ``[{"value": {"tag", "displayLabel", "color", "attributes",
"displayData"}, "children": [<same shape>]}]``. dtlpy adds labels by sending flat nodes whose nested ones
are spelled with dots (``{"tag": "animal.dog"}``); this module turns those into the tree, and gives a label
sent without a colour one of its own, as the platform does, so that annotation colours have a value.
"""

from __future__ import annotations

import json
import math
import re

from ...errors import BadRequest, NotFound, PlatformError
from ...ids import new_id, now_iso
from ..records import LOCAL_USER
from ..store import Store

KIND = "ontologies"
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
# Colours handed to labels sent without one, in turn (by how many labels the ontology already has).
_PALETTE = ["#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#911eb4", "#46f0f0", "#f032e6",
            "#bcf60c", "#fabebe", "#008080", "#e6beff", "#9a6324", "#fffac8", "#800000", "#aaffc3"]
MAX_DEPTH = 20
_MAX_TEXT = 100_000  # characters of an attributes list sent as text
# dtlpy's AttributesTypes as sent by update_attributes (checkbox and radio button both as "options").
ATTRIBUTE_TYPES = ("options", "range", "boolean", "freeText")


def _color(value, where: str, fallback: str) -> str:
    if value is None:
        return fallback
    if isinstance(value, (list, tuple)) and len(value) == 3 and all(type(c) is int and 0 <= c <= 255 for c in value):
        return "#{:02x}{:02x}{:02x}".format(*value)
    if isinstance(value, str) and _HEX.match(value):
        return value  # the platform keeps the colour as sent ('#FF0000' stays upper case)
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


def _attribute_names(value) -> list:
    """An ontology's (v1) attributes: a list, or that list as a string (``"['a', 'b']"``), as the platform
    takes it from a caller that passed the text on."""
    if isinstance(value, str):
        text = value.strip()[:_MAX_TEXT]
        try:
            parsed = json.loads(text.replace("'", '"'))
        except ValueError:
            parsed = None
        if not isinstance(parsed, list) or not all(isinstance(a, str) for a in parsed):
            raise BadRequest(f"'attributes' must be a list of strings (or that list as JSON text), got {value[:80]!r}")
        return parsed
    return _list(value, "attributes")


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
        for project_id in project_ids:
            if self.store.find("projects", project_id) is None:  # the platform: not a project of yours
                raise PlatformError(f"project {project_id!r} is not one of your projects; an ontology can "
                                    "only be made in your own", status=403)
        tree = self._roots(_list(roots, "roots"), "roots")
        attributes = _attribute_names(attributes)
        ontology_id = new_id()
        created = now_iso()
        record = {"id": ontology_id, "title": title or f"ontology-{ontology_id[-6:]}", "creator": LOCAL_USER,
                  "createdAt": created, "updatedAt": created, "url": f"/ontologies/{ontology_id}",
                  "roots": tree, "attributes": attributes,
                  "metadata": {"system": {"projectIds": list(project_ids)}, "attributes": []}}
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

    def replace(self, ontology_id: str, body: dict, system: bool = False) -> dict:
        with self.store.transaction():  # read, check and write as one
            return self._replace(ontology_id, body, system)

    def _replace(self, ontology_id: str, body: dict, system: bool) -> dict:
        """``PUT /ontologies/<id>``: dtlpy sends the whole ontology back with its labels as roots; with
        ``?system=true`` the keys it sends in ``metadata.system`` are kept too (``projectIds`` stays ours)."""
        record = dict(self.get(ontology_id))
        if "roots" in body:
            record["roots"] = self._roots(_list(body["roots"], "roots"), "roots")
        if "attributes" in body:
            record["attributes"] = _attribute_names(body["attributes"])
        sent = body.get("metadata") or {}
        if not isinstance(sent, dict):
            raise BadRequest(f"'metadata' must be an object, got {sent!r:.200}")
        if system and "system" in sent:
            if not isinstance(sent["system"], dict):
                raise BadRequest(f"'metadata.system' must be an object, got {sent['system']!r}")
            kept = record["metadata"]["system"]
            record["metadata"] = {**record["metadata"], "system": {**sent["system"], "projectIds": kept["projectIds"]}}
        if body.get("title") is not None:
            if not isinstance(body["title"], str):
                raise BadRequest(f"'title' must be a string, got {body['title']!r}")
            record["title"] = body["title"]
        record["updatedAt"] = now_iso()
        return self.store.put(KIND, record)

    def clone(self, ontology_id: str) -> dict:
        """A copy of an ontology (labels, attributes, metadata) under a new id, for a recipe's clone."""
        record = self.get(ontology_id)
        copy = {**json.loads(json.dumps(record)), "id": new_id(), "createdAt": now_iso(), "updatedAt": now_iso(),
                "creator": LOCAL_USER}
        copy["url"] = f"/ontologies/{copy['id']}"
        projects = record["metadata"]["system"].get("projectIds") or [""]
        return self.store.put(KIND, copy, parent=projects[0])

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
            if len(path) > MAX_DEPTH or not all(path):
                raise BadRequest(f"{where}.tag {node['tag'][:200]!r}: a nested label is 'parent.child', at most "
                                 f"{MAX_DEPTH} levels, with no empty name")
            existing = None
            for depth, name in enumerate(path):
                existing = next((r for r in siblings if r["value"]["tag"] == name), None)
                if existing is None and not upsert:
                    raise NotFound(f"{where}: label {'.'.join(path[:depth + 1])!r} does not exist in ontology "
                                   f"{ontology_id}; send 'upsert': true to add it")
                if existing is None:  # the platform makes a missing parent, as it makes the label
                    existing = {"value": {"tag": name, "displayLabel": name, "attributes": [], "displayData": {},
                                          "color": _PALETTE[_count(roots) % len(_PALETTE)]}, "children": []}
                    siblings.append(existing)
                siblings = existing["children"]
            self._apply(existing["value"], node, where)
        updated = {**record, "roots": roots, "updatedAt": now_iso()}
        return self.store.put(KIND, updated)

    # -- attributes (v2: metadata.attributes) --------------------------------------------------------

    def upsert_attributes(self, ontology_id: str, body: dict) -> dict:
        """``PATCH /ontologies/<id>/attributes`` (``update_attributes``): ``{items: [...], upsert}``; an
        attribute is added, or replaces the one of its ``key``."""
        items = _list(body.get("items"), "items")
        checked = [_attribute(a, f"items[{i}]") for i, a in enumerate(items)]
        with self.store.transaction():
            record = self.get(ontology_id)
            kept = [a for a in record["metadata"].get("attributes") or [] if a.get("key") not in
                    {c["key"] for c in checked}]
            metadata = {**record["metadata"], "attributes": kept + checked}
            return self.store.put(KIND, {**record, "metadata": metadata, "updatedAt": now_iso()})

    def delete_attributes(self, ontology_id: str, body: dict) -> dict:
        """``DELETE /ontologies/<id>/attributes`` (``delete_attributes``): ``{keys: [...]}``."""
        keys = _list(body.get("keys"), "keys")
        if not all(isinstance(k, str) for k in keys):
            raise BadRequest(f"'keys' must be a list of attribute keys (strings), got {keys!r:.200}")
        with self.store.transaction():
            record = self.get(ontology_id)
            kept = [a for a in record["metadata"].get("attributes") or [] if a.get("key") not in keys]
            metadata = {**record["metadata"], "attributes": kept}
            return self.store.put(KIND, {**record, "metadata": metadata, "updatedAt": now_iso()})

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


def _attribute(value, where: str) -> dict:
    """One attribute as ``update_attributes`` sends it, checked: key, title, type, and per type values or range."""
    if not isinstance(value, dict):
        raise BadRequest(f"{where} must be an attribute object {{key, title, type, ...}}, got {value!r:.200}")
    for name in ("key", "title"):
        if not isinstance(value.get(name), str) or not value[name]:
            raise BadRequest(f"{where}.{name} must be a non-empty string, got {value.get(name)!r:.200}")
    if value.get("type") not in ATTRIBUTE_TYPES:
        raise BadRequest(f"{where}.type must be one of {', '.join(ATTRIBUTE_TYPES)}, got {value.get('type')!r:.200}")
    values = value.get("values")
    if values is not None and (not isinstance(values, list) or not all(isinstance(v, str) for v in values)):
        raise BadRequest(f"{where}.values must be a list of strings, got {values!r:.200}")
    if value["type"] == "options" and not values:
        raise BadRequest(f"{where}: an 'options' attribute (checkbox or radio button) needs its 'values'")
    scope = value.get("scope", ["*"])
    if not isinstance(scope, list) or not all(isinstance(s, str) for s in scope):
        raise BadRequest(f"{where}.scope must be a list of label names or ['*'], got {scope!r:.200}")
    bounds = value.get("range")
    if value["type"] == "range" and (not isinstance(bounds, dict) or not all(
            isinstance(bounds.get(k), (int, float)) and not isinstance(bounds.get(k), bool)
            and math.isfinite(bounds[k]) for k in ("min", "max", "step"))):
        raise BadRequest(f"{where}.range must be {{min, max, step}} numbers for a 'range' (slider) attribute")
    return {**value, "scope": scope}
