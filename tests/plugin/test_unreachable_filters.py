"""A trigger filter no record can match is a finding of `::manifest` and of `faas packages deploy`.

docs/platform.md#dql-filters. The platform accepts such a trigger and it never fires; the filter that a
real package wrote bare (``mimetype`` for ``metadata.system.mimetype``) is the case in point.
"""

from __future__ import annotations

import pytest
from faas_code import JSON_PACKAGE

from pytest_faas.dql.reach import never_matches

NEVER = {"name": "s", "moduleName": "default_module", "triggers": [
    {"name": "images", "resource": "Item", "actions": ["Created"], "function": "run",
     "filter": {"$and": [{"mimetype": "image/*"}, {"dir": "/a"}, {"dir": "/b"}]}}]}


@pytest.mark.parametrize("filt, resource, said", [
    ({"mimetype": "image/*"}, "Item", "no Item has a field 'mimetype' (did you mean 'metadata.system.mimetype'?)"),
    ({"$and": [{"dir": "/a"}, {"dir": {"$eq": "/b"}}]}, "Item", "dir cannot equal both '/a'"),
    ({"type": "image"}, "Item", "an item's type is 'file' or 'dir', never 'image'"),
    ({"label": {"$in": []}}, "Annotation", "$in of an empty list matches nothing"),
    ({"labl": "cat"}, "Annotation", "did you mean 'label'?"),
])
def test_what_rules_out_every_record_is_named(filt, resource, said):
    assert any(said in reason for reason in never_matches(filt, resource)), never_matches(filt, resource)


@pytest.mark.parametrize("filt, resource", [
    ({"metadata": {"system": {"mimetype": {"$eq": "image/*"}}}}, "Item"),  # the nested form is dotted paths
    ({"$and": [{"hidden": False}, {"type": "file"}, {"dir": "/train"}]}, "Item"),
    ({"$or": [{"dir": "/a"}, {"dir": "/b"}]}, "Item"),
    ({"metadata.user.tags": "a", "$and": [{"metadata.user.tags": "b"}]}, "Item"),  # an array holds both
    ({"nothing": {"$exists": False}}, "Item"), ({"other": {"$ne": 1}}, "Item"),
    ({"dir": "/*", "$and": [{"dir": "/a"}]}, "Item"),  # a wildcard is not one value
])
def test_what_might_match_is_not_reported(filt, resource):
    assert never_matches(filt, resource) == []


def test_manifest_item_and_deploy_say_it(faas_pytester, packages, monkeypatch):
    files = dict(JSON_PACKAGE)
    files["service.json"] = NEVER
    folder = packages.write("echo", files)
    result = faas_pytester.runpytest_subprocess("--faas", "-q", "-p", "no:cacheprovider", "-W", "default")
    out = result.stdout.str()
    assert "trigger 'images' can never fire: filter.$and[0].mimetype: no Item has a field 'mimetype'" in out, out
    assert "dir cannot equal both '/a' (filter.$and[1].dir) and '/b'" in out, out
    result.assert_outcomes(passed=3)  # a warning: the cases still run

    from click.testing import CliRunner

    from pytest_faas.cli import cli

    monkeypatch.chdir(folder)
    (folder / ".gitignore").write_text(".faas/\n")  # the embedded platform's data dir, never pushed
    for command in (["projects", "create", "demo"], ["packages", "push"]):
        assert CliRunner().invoke(cli, command).exit_code == 0
    deployed = CliRunner().invoke(cli, ["packages", "deploy"])
    assert deployed.exit_code == 0, deployed.output
    assert "trigger 'images' can never fire" in deployed.output and "Deployed service s" in deployed.output
