"""A request that names no project (dtlpy's module-level repositories send a null one), with the real dtlpy.

docs/platform.md#no-project-given: a null project is no project given, so a query runs over every project
the caller can see and a package pushed without one belongs to its codebase's project.
"""

from __future__ import annotations

import pytest

from pytest_faas.local import LocalPlatform


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    """A platform of its own: what "every project" holds must not depend on other tests."""
    with LocalPlatform(data_dir=tmp_path_factory.mktemp("no-project"), placement=None) as platform:
        yield platform


@pytest.fixture
def here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_module_level_push_lands_in_the_only_project_and_resolves_by_name(platform, here):
    dl = platform.dl
    project = dl.projects.create(project_name="only")
    dl.packages.generate(name="solo", src_path=str(here))

    package = dl.packages.push(src_path=str(here), checkout=True)

    assert package.project_id == project.id
    assert dl.packages.get(package_name="solo").id == package.id  # the query carried projectId: null
    assert dl.packages.get().id == package.id  # checked out
    codebase = project.items.get(item_id=package.codebase.item_id)
    assert codebase.filename == "/codebases/solo/0.zip"


def test_a_null_context_lists_the_datasets_of_every_project_and_a_name_in_two_is_refused(tmp_path_factory, here):
    # A platform of its own, set up as the test above leaves its: under xdist the two may run apart.
    with LocalPlatform(data_dir=tmp_path_factory.mktemp("two-projects"), placement=None) as platform:
        first = platform.dl.projects.create(project_name="only")
        platform.dl.packages.generate(name="solo", src_path=str(here))
        first.packages.push(src_path=str(here), package_name="solo")
        _two_projects_are_told_apart(platform, first, here)


def _two_projects_are_told_apart(platform, first, here):
    dl = platform.dl
    second = dl.projects.create(project_name="other")
    second.datasets.create(dataset_name="pictures")
    answer = platform.dl.client_api.gen_request(
        req_type="post", path="/datasets/query",
        json_req={"filter": {"name": "Binaries"}, "systemSpace": True, "context": {"projects": [None]}})[1].json()
    assert sorted(d["projects"][0] for d in answer["items"]) == sorted([first.id, second.id])

    second.packages.push(src_path=str(here), package_name="solo")  # the same name in another project
    with pytest.raises(dl.exceptions.BadRequest, match="More than one package"):
        dl.packages.get(package_name="solo")
    # What a fresh dl.packages.push looks up first (once found, dtlpy keeps it for the process).
    nowhere = dl.repositories.Datasets(client_api=dl.client_api,
                                       project=dl.entities.Project(_dict={}, _client_api=dl.client_api))
    with pytest.raises(dl.exceptions.BadRequest, match="More than one dataset"):
        nowhere._get_binaries_dataset()  # which Binaries? dtlpy cannot tell either
    assert first.packages.get(package_name="solo").project_id == first.id


def test_a_package_with_neither_project_nor_codebase_item_is_refused(platform):
    dl = platform.dl
    before = dl.packages.list().items_count
    success, response = dl.client_api.gen_request(req_type="post", path="/packages",
                                                  json_req={"name": "stray", "projectId": None})
    assert response.status_code == 400 and "projectId" in response.json()["message"]
    success, response = dl.client_api.gen_request(
        req_type="post", path="/packages",
        json_req={"name": "stray", "projectId": None, "codebase": {"type": "item", "itemId": "nope"}})
    assert response.status_code == 400
    assert dl.packages.list().items_count == before
