"""``package.update()`` makes a new revision, as on the platform (issue 17, point 4)."""

from __future__ import annotations

import pytest

from faas_code import simple_package


@pytest.fixture
def package(faas_project, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    simple_package(tmp_path / "pkg", "revised", "def run(self):\n    return 'ok'\n", [("run", [])])
    return faas_project.packages.push(src_path=str(tmp_path / "pkg"))


def test_update_bumps_the_patch_version_and_the_revisions_grow(package):
    assert (package.version, len(package.revisions)) == ("1.0.0", 1)
    package = package.update()
    assert (package.version, len(package.revisions)) == ("1.0.1", 2)
    package = package.update()
    assert (package.version, [r["version"] for r in package.revisions]) == ("1.0.2", ["1.0.0", "1.0.1", "1.0.2"])


def test_a_service_deploys_an_earlier_revision(package):
    package = package.update().update()
    service = package.deploy(service_name="pinned", revision="1.0.1")
    assert service.package_revision == "1.0.1"
    assert service.execute(function_name="run", sync=True) == "ok"


def test_revision_increment_and_an_explicit_new_version(faas_project, package):
    assert faas_project.packages.update(package=package, revision_increment="minor").version == "1.1.0"
    package.version = "2.0.0"
    assert package.update().version == "2.0.0"


def test_a_stale_entity_updates_to_the_next_revision_and_a_bad_version_changes_nothing(faas_project, package,
                                                                                        api):
    package.update()
    assert package.update().version == "1.0.2"  # `package` still says 1.0.0: the next one is made
    response = api.patch(f"/packages/{package.id}", json={"version": 3})
    assert response.status_code == 400 and "version" in response.json()["message"]
    stored = faas_project.packages.get(package_id=package.id)
    assert (stored.version, len(stored.revisions)) == ("1.0.2", 3)
