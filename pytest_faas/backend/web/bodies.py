"""The request bodies of the REST surface, as pydantic models: the shape checked at the edge.

Each model names the fields its handler reads and the types and bounds they must have; fields it does not
name pass through untouched (``extra="allow"``: dtlpy sends whole entities back). A body that does not fit
is a 400 naming the field (:func:`.http.check`), before anything is stored. Numbers are finite (JSON has
no ``NaN`` or ``Infinity``; :func:`.http.read_json` refuses them already), strings are strings (an object
where a name goes is refused, never stored as its Python repr), and every count and wait is bounded.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from ..faas.dispatch import MAX_WAIT_S  # an agent's long polls (claim, signals)
from ..records import MAX_NAME

MAX_PAGE_SIZE = 1000
MAX_CONCURRENCY = 1000
MAX_REPLICAS = 100
MAX_CLAIM = 1000
MAX_ADVANCE_S = 10 * 366 * 86400.0  # one move of the cron clock: ten years


def _no_dot_dot(value: str) -> str:
    if ".." in value.replace("\\", "/").split("/"):
        raise ValueError("a path may not contain a '..' segment")
    if "\x00" in value:
        raise ValueError("a path may not contain a NUL character")
    return value


def _no_slash(value: str) -> str:
    if "/" in value or "\\" in value or value in (".", ".."):
        raise ValueError("a name may not contain '/' or be '.' or '..'")
    return value


Name = Annotated[StrictStr, Field(min_length=1, max_length=MAX_NAME)]
Id = Annotated[StrictStr, Field(min_length=1, max_length=MAX_NAME)]
PathText = Annotated[StrictStr, Field(max_length=4096), AfterValidator(_no_dot_dot)]
Finite = Annotated[float, Field(strict=True, allow_inf_nan=False)]
JsonObject = dict[str, Any]


class Body(BaseModel):
    """A request body: a JSON object whose unnamed fields pass through."""

    model_config = ConfigDict(extra="allow", strict=False)


# -- data plane -----------------------------------------------------------------------------------------

class SdkCheck(Body):
    """What dtlpy's import-time thread posts, as a form (dtlpy 1.110 to 1.125, docs/platform.md#the-dtlpy-version)."""
    version: Name
    email: Optional[Annotated[StrictStr, Field(max_length=MAX_NAME)]] = None


class ProjectCreate(Body):
    name: Name


class DatasetCreate(Body):
    name: Name
    projects: Annotated[list[Id], Field(min_length=1)]


class Query(Body):
    """A DQL query: ``filter``, ``sort``, ``page``, ``pageSize`` (what the dql module reads)."""

    resource: Optional[StrictStr] = None
    filter: Optional[JsonObject] = None
    sort: Optional[JsonObject] = None
    join: Optional[JsonObject] = None
    page: Optional[Annotated[StrictInt, Field(ge=0, le=10**9)]] = None
    pageSize: Optional[Annotated[StrictInt, Field(ge=0, le=MAX_PAGE_SIZE)]] = None
    operation: Optional[StrictStr] = None


class QueryContext(Body):
    projects: Optional[list[Optional[Id]]] = None  # null: no project given (backend/web/scope.py)


class DatasetsQuery(Query):
    context: Optional[QueryContext] = None
    systemSpace: Optional[StrictBool] = None


class ItemPatch(Body):
    name: Optional[Annotated[Name, AfterValidator(_no_slash)]] = None
    filename: Optional[Annotated[PathText, Field(min_length=1)]] = None
    dir: Optional[Annotated[PathText, Field(min_length=1)]] = None
    metadata: Optional[JsonObject] = None
    description: Optional[StrictStr] = None


class Annotation(Body):
    type: Optional[StrictStr] = None
    label: Optional[StrictStr] = None
    coordinates: Any = None
    metadata: Optional[JsonObject] = None


class ExportRequest(Body):
    # dtlpy up to 1.116 sends neither type: its download_annotations reads a zip (docs/platform.md#exports).
    exportType: Optional[Literal["json", "zip"]] = None
    exportVersion: Optional[Literal["V1", "V2"]] = None
    itemsQuery: Optional[Query] = None
    annotationsQuery: Optional[Query] = None
    annotations: Optional[JsonObject] = None


# -- FaaS -----------------------------------------------------------------------------------------------

class FaasQuery(Query):
    resource: Literal["packages", "services", "triggers", "executions"]


class PackageBody(Body):
    name: Optional[Name] = None
    projectId: Optional[Id] = None
    version: Optional[StrictStr] = None
    type: Optional[StrictStr] = None
    modules: Optional[list[JsonObject]] = None
    codebase: Optional[JsonObject] = None


class Runtime(Body):
    concurrency: Optional[Annotated[StrictInt, Field(ge=1, le=MAX_CONCURRENCY)]] = None
    numReplicas: Optional[Annotated[StrictInt, Field(ge=0, le=MAX_REPLICAS)]] = None
    podType: Optional[StrictStr] = None
    runnerImage: Optional[StrictStr] = None


class Autoscaler(Body):
    minReplicas: Optional[Annotated[StrictInt, Field(ge=0, le=MAX_REPLICAS)]] = None
    maxReplicas: Optional[Annotated[StrictInt, Field(ge=0, le=MAX_REPLICAS)]] = None


class ServiceBody(Body):
    name: Optional[Name] = None
    projectId: Optional[Id] = None
    packageId: Optional[Id] = None
    packageRevision: Optional[StrictStr] = None
    moduleName: Optional[StrictStr] = None
    runtime: Optional[Runtime] = None
    initParams: Optional[JsonObject] = None
    versions: Optional[JsonObject] = None
    executionTimeout: Optional[Annotated[Finite, Field(ge=0, le=10**9)]] = None
    maxAttempts: Optional[Annotated[StrictInt, Field(ge=0, le=1000)]] = None
    active: Optional[StrictBool] = None
    scope: Optional[StrictStr] = None


class ServiceCreate(ServiceBody):
    autoscaler: Optional[Autoscaler] = None


class TriggerSpec(Body):
    filter: Optional[JsonObject] = None
    resource: Optional[StrictStr] = None
    executionMode: Optional[StrictStr] = None
    actions: Optional[list[StrictStr] | StrictStr] = None
    operation: Optional[JsonObject] = None
    cron: Optional[StrictStr] = None
    startAt: Optional[StrictStr] = None
    endAt: Optional[StrictStr] = None
    input: Optional[JsonObject] = None


class TriggerBody(Body):
    name: Optional[Name] = None
    projectId: Optional[Id] = None
    type: Optional[StrictStr] = None
    scope: Optional[StrictStr] = None
    active: Optional[StrictBool] = None
    spec: Optional[TriggerSpec] = None


class ExecutionCreate(Body):
    functionName: Optional[StrictStr] = None
    projectId: Optional[Id] = None
    input: Any = None
    batch: Any = None


class Progress(Body):
    status: Optional[StrictStr] = None
    percentComplete: Optional[Annotated[Finite, Field(ge=0, le=100)]] = None
    message: Optional[StrictStr] = None
    output: Any = None
    duration: Optional[Annotated[Finite, Field(ge=0)]] = None


class LogsQuery(Body):
    serviceId: Optional[Id] = None
    executionId: Optional[list[Id] | Id] = None
    functionName: Optional[list[StrictStr] | StrictStr] = None
    replicaId: Optional[list[StrictStr] | StrictStr] = None
    checkpoint: Optional[JsonObject] = None
    size: Optional[Annotated[StrictInt, Field(ge=0, le=100_000)]] = None
    follow: Optional[StrictBool] = None
    text: Optional[StrictStr] = None
    logLevel: Optional[StrictStr] = None
    start: Optional[StrictStr | StrictInt] = None
    end: Optional[StrictStr | StrictInt] = None


class RerunBatch(Body):
    query: Optional[JsonObject] = None


# -- the agents' protocol and the harness's controls ----------------------------------------------------

class Register(Body):
    serviceId: Id
    replica: Annotated[StrictInt, Field(ge=0, le=MAX_REPLICAS)] = 0
    pid: Optional[StrictInt] = None
    host: Optional[StrictStr] = None


class ServiceEnvBody(Body):
    env: dict[StrictStr, StrictStr]


class Claim(Body):
    max: Annotated[StrictInt, Field(ge=0, le=MAX_CLAIM)] = 1
    wait: Annotated[Finite, Field(ge=0, le=MAX_WAIT_S)] = 0


class Signals(Body):
    wait: Annotated[Finite, Field(ge=0, le=MAX_WAIT_S)] = 0


class Finish(Body):
    attempt: StrictInt = -1
    status: Optional[StrictStr] = None
    message: Optional[StrictStr] = None
    output: Any = None
    lines: Optional[list[JsonObject]] = None  # capture.py's line records
    duration: Optional[Annotated[Finite, Field(ge=0)]] = None


class LogEntry(Body):
    executionId: Optional[Id] = None  # none: the replica's own lines (what the class's __init__ printed)
    lines: list[JsonObject] = []


class Logs(Body):
    entries: list[LogEntry] = []


class Failed(Body):
    message: Optional[StrictStr] = None


class CronAdvance(Body):
    seconds: Annotated[Finite, Field(ge=0, le=MAX_ADVANCE_S)] = 0


class SeedDataset(Body):
    projectId: Id
    name: Name
    id: Optional[Id] = None


class SeedItem(Body):
    datasetId: Id
    path: Annotated[PathText, Field(min_length=1)]
    contentBase64: StrictStr = ""
    id: Optional[Id] = None
    metadata: Optional[JsonObject] = None
    annotations: Optional[list[Annotation]] = None
