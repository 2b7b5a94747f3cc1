"""One bad trigger never stops the others: bad DQL is a 400 where it is written, and each trigger fires alone.

``²`` is a digit to ``str.isdigit`` but not to ``int``: a DQL path holding it used to pass the compile and
fail on every match, answering a query with a 500 and, in a stored trigger, keeping every other trigger of
the same event from firing.
"""

from __future__ import annotations

import io

import pytest

from faas_code import simple_package, wait
from reliability_data import Rest


@pytest.fixture
def api(faas_platform):
    client = Rest(faas_platform.url, faas_platform.token)
    yield client
    client.close()


@pytest.fixture
def service(faas_project, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = simple_package(tmp_path / "pkg", "marker", "def run(self, item):\n    return item.id\n",
                            [("run", [("item", "Item")])])
    return faas_project.packages.push(src_path=str(folder)).deploy(service_name="marker")


@pytest.mark.parametrize("segment", ["²", "٣"])
def test_a_path_segment_that_is_no_number_is_a_400_at_the_query(api, faas_item, segment):
    response = api.call("POST", f"/datasets/{faas_item.dataset_id}/query",
                        json={"filter": {f"metadata.user.{segment}": 1}, "resource": "items"})
    assert response.status_code == 400
    assert "looks like a number but is not one" in response.json()["message"]


def test_a_trigger_with_an_invalid_filter_is_refused_when_stored(api, faas_project, service):
    body = {"projectId": faas_project.id, "type": "Event", "name": "bad",
            "spec": {"resource": "Item", "actions": ["Created"], "filter": {"metadata.user.²": 1},
                     "executionMode": "Always", "operation": {"type": "function", "serviceId": service.id,
                                                              "functionName": "run"}}}
    response = api.call("POST", "/triggers", json=body)
    assert response.status_code == 400
    assert "filter.metadata.user.²" in response.json()["message"]
    assert service.triggers.list().items_count == 0


def test_a_broken_stored_trigger_never_stops_another(faas_platform, faas_dl, faas_project, service):
    good = service.triggers.create(name="good", filters=faas_dl.Filters(field="dir", values="/in"),
                                   function_name="run", execution_mode="Always")
    # A trigger stored before filters were checked as strictly (an older data dir): its filter fails to
    # compile. Stored first, so that it comes first in the index.
    broken = dict(good.to_json(), id="0" * 24, name="broken")
    broken["spec"] = dict(broken["spec"], filter={"metadata.user.²": 1})
    store = faas_platform.backend.store
    store.put("triggers", broken, parent=faas_project.id)
    faas_dl.triggers.get(trigger_id=good.id).update()  # a change re-reads every stored trigger
    dataset = faas_project.datasets.create(dataset_name="watched")
    item = dataset.items.upload(local_path=io.BytesIO(b"x"), remote_path="/in", remote_name="x.txt")
    assert item is not None, "the upload failed"
    filters = faas_dl.Filters(resource=faas_dl.FiltersResource.EXECUTION, field="triggerId", values=good.id)
    [fired] = faas_dl.executions.list(filters=filters).all()
    assert wait(faas_platform, fired.id)["output"] == item.id
    store.delete("triggers", broken["id"])
