"""The data-plane REST surface (docs/platform.md#rest-routes): request parsing and response shaping only.

Each handler reads the request, calls one method of the data-plane classes and returns what the platform
returns. Behaviour lives in ``projects.py``, ``items.py``, ``annotations.py`` and ``exports.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from ...errors import BadRequest, NotFound
from .. import records as entities
from ..web import bodies
from .bulk import is_bulk
from ..web.wsgi import UPLOAD_BYTES, Route, check, json_response, parse_json, read_body, read_json, read_query
from ..web.multipart import parse_form

if TYPE_CHECKING:
    from .annotations import Annotations
    from .bulk import Bulk
    from .exports import Exports
    from .items import Items
    from .projects import Projects


def project_routes(projects: "Projects") -> list[Route]:
    """The user, projects: create, list, get, find by name."""

    def users_me(request: Request):
        return entities.user_json()

    def form_or_json(request: Request) -> dict:
        # dtlpy posts some bodies as forms (`name=`); accept JSON too for curl users.
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            return dict(request.form)
        return read_json(request, expect=dict)

    def sdk_check(request: Request):
        version = check(bodies.SdkCheck, form_or_json(request)).version
        # "debug": dtlpy logs the answer at that level on its next import, so nothing reaches the user's output.
        return {"level": "debug", "msg": f"dtlpy {version}: the local platform serves every supported line"}

    def create_project(request: Request):
        return projects.create_project(check(bodies.ProjectCreate, form_or_json(request)).name)

    def list_projects(request: Request):
        return projects.list_projects()

    def get_project(request: Request, project_id: str):
        return projects.get_project(project_id)

    def projects_by_name(request: Request, name: str):
        found = projects.find_projects(name)
        if not found:
            raise NotFound(f"Project not found: {name!r}")
        return found

    return [
        Route("/users/me", ("GET",), users_me),
        Route("/sdk/check", ("POST",), sdk_check),
        Route("/projects", ("POST",), create_project),
        Route("/projects", ("GET",), list_projects),
        Route("/projects/<project_id>", ("GET",), get_project),
        Route("/projects/<path:name>/name", ("GET",), projects_by_name),
    ]


def dataset_routes(projects: "Projects", items: "Items", annotations: "Annotations", bulk: "Bulk",
                   exports: "Exports") -> list[Route]:
    """Datasets: create, get, query, their items' queries and bulk changes, exports and commands."""

    def create_dataset(request: Request):
        body = check(bodies.DatasetCreate, read_json(request, expect=dict))
        return projects.create_dataset(body.projects[0], body.name)

    def get_dataset(request: Request, dataset_id: str):
        return projects.get_dataset(dataset_id)

    def query_datasets(request: Request):
        read_query(request, "POST /datasets/query")
        return projects.query_datasets(read_body(request, bodies.DatasetsQuery))

    def query_dataset(request: Request, dataset_id: str):
        query = read_body(request, bodies.Query)
        resource = query.get("resource", "items")
        if resource in ("items", "annotations") and is_bulk(query):
            projects.get_dataset(dataset_id)
            return bulk.run(dataset_id, query)
        if resource == "items":
            return items.query(dataset_id, query)
        if resource == "annotations":
            return annotations.query(dataset_id, query)
        raise BadRequest(f"query resource {resource!r} is not supported here; use 'items' or 'annotations'")

    def export_dataset(request: Request, dataset_id: str):
        return exports.export(dataset_id, read_body(request, bodies.ExportRequest))

    def get_command(request: Request, command_id: str):
        return exports.command(command_id)

    return [
        Route("/datasets", ("POST",), create_dataset),
        Route("/datasets/<dataset_id>", ("GET",), get_dataset),
        Route("/datasets/query", ("POST",), query_datasets),
        Route("/datasets/<dataset_id>/query", ("POST",), query_dataset),
        Route("/datasets/<dataset_id>/export", ("POST",), export_dataset),
        Route("/commands/<command_id>", ("GET",), get_command),
    ]


def upload_routes(items: "Items") -> list[Route]:
    """Item uploads (dtlpy's multipart body, or JSON for a URL or a folder), and the legacy list there."""

    def list_items(request: Request, dataset_id: str):
        """The legacy ``GET /datasets/{id}/items``: a page of the dataset's files, as the default items query."""
        try:
            page, size = int(request.args.get("pageOffset", 0)), int(request.args.get("pageSize", 100))
        except ValueError:
            raise BadRequest("'pageOffset' and 'pageSize' must be integers") from None
        return items.query(dataset_id, {"filter": {"$and": [{"hidden": False}, {"type": "file"}]},
                                        "page": page, "pageSize": size})

    def upload_item(request: Request, dataset_id: str):
        if request.mimetype == "application/x-www-form-urlencoded":  # items.make_dir: type=dir&path=...
            kind, path = request.form.get("type"), request.form.get("path")
            unknown = sorted(set(request.form) - {"type", "path"})
            if unknown:
                raise BadRequest(f"items.make_dir sends type and path only; unknown field(s): {', '.join(unknown)}")
            if kind != "dir" or not path:
                raise BadRequest("a form-encoded POST /datasets/{id}/items makes a directory: send "
                                 f"type=dir and a path (found type={kind!r}, path={path!r}); files are "
                                 "uploaded as multipart/form-data")
            return items.make_dir(dataset_id, path)
        if request.mimetype != "multipart/form-data" or not request.mimetype_params.get("boundary"):
            raise BadRequest("item upload must be multipart/form-data with a boundary, found "
                             f"{request.content_type or 'no content type'!r}")
        form = parse_form(request.content_type, request.stream)
        try:
            upload = form.files.get("file")
            if upload is None:
                raise BadRequest("multipart item upload has no 'file' part; send the bytes in a field named 'file'")
            remote_path = form.fields.get("path") or "/" + upload.filename
            if remote_path.rstrip("/") == "":
                raise BadRequest("item upload needs a 'path' field or a file name")
            # Read as a JSON body is: a lone surrogate, NaN or 50,000 levels of nesting are a 400 here too.
            metadata = parse_json(form.raw["metadata"], "the 'metadata' field") if form.raw.get("metadata") else None
            record, op = items.upload(dataset_id, remote_path, upload.stream, mode=request.args.get("mode", "skip"),
                                      metadata=metadata, description=form.fields.get("description"))
        finally:
            form.close()
        return json_response(record, headers={"x-item-op": op})

    return [
        Route("/datasets/<dataset_id>/items", ("POST",), upload_item, body_bytes=UPLOAD_BYTES),
        Route("/datasets/<dataset_id>/items", ("GET",), list_items),
    ]


def item_routes(items: "Items", annotations: "Annotations") -> list[Route]:
    """Items and their annotations."""

    def get_item(request: Request, item_id: str):
        return items.get(item_id)

    def patch_item(request: Request, item_id: str):
        system = request.args.get("system", "false").lower() == "true"
        return items.patch(item_id, read_body(request, bodies.ItemPatch), system=system)

    def delete_item(request: Request, item_id: str):
        items.delete(item_id)
        return {"id": item_id, "deleted": True}

    def stream_item(request: Request, item_id: str):
        record = items.get(item_id)
        data = items.read(item_id)
        response = Response(data, mimetype=record["metadata"]["system"].get("mimetype"))
        return response.make_conditional(request, accept_ranges=True, complete_length=len(data))

    def upload_annotations(request: Request, item_id: str):
        body = read_json(request, expect=(list, dict))
        for index, entry in enumerate(body if isinstance(body, list) else [body]):
            if isinstance(entry, dict):  # what is not an object at all, annotations.upload names itself
                check(bodies.Annotation, entry, what=f"annotation [{index}]")
        return annotations.upload(item_id, body)

    def item_annotations(request: Request, item_id: str):
        items.get(item_id)
        return annotations.of_item(item_id)

    return [
        Route("/items/<item_id>", ("GET",), get_item),
        Route("/items/<item_id>", ("PATCH",), patch_item),
        Route("/items/<item_id>", ("DELETE",), delete_item),
        Route("/items/<item_id>/stream", ("GET",), stream_item),
        Route("/items/<item_id>/annotations", ("POST",), upload_annotations),
        Route("/items/<item_id>/annotations", ("GET",), item_annotations),
    ]


def annotation_routes(annotations: "Annotations") -> list[Route]:
    """Annotations by id."""

    def get_annotation(request: Request, annotation_id: str):
        return annotations.get(annotation_id)

    def update_annotation(request: Request, annotation_id: str):
        return annotations.update(annotation_id, read_body(request, bodies.Annotation))

    def delete_annotation(request: Request, annotation_id: str):
        annotations.delete(annotation_id)
        return {"id": annotation_id, "deleted": True}

    return [
        Route("/annotations/<annotation_id>", ("GET",), get_annotation),
        Route("/annotations/<annotation_id>", ("PUT",), update_annotation),
        Route("/annotations/<annotation_id>", ("DELETE",), delete_annotation),
    ]


def data_routes(projects: "Projects", items: "Items", annotations: "Annotations", exports: "Exports",
                bulk: "Bulk") -> list[Route]:
    """The data plane's REST surface: each group gets the domain objects it serves."""
    return (project_routes(projects) + dataset_routes(projects, items, annotations, bulk, exports) + upload_routes(items)
            + item_routes(items, annotations) + annotation_routes(annotations))
