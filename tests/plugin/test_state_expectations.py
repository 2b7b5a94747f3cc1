"""``expect.items`` and ``expect.annotations``: what a function left on the platform, checked from the mock file
once the execution has ended, in a `pytest --faas` run, a pipeline template's case and `faas packages test`."""

from __future__ import annotations

import copy

from faas_code import THUMBS_PACKAGE


def test_items_and_annotations_the_function_left_are_checked_and_a_miss_names_both_sides(faas_pytester, packages):
    packages.write("thumbs", THUMBS_PACKAGE)
    result = faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=3)
    out = result.stdout.str()
    result.stdout.fnmatch_lines(["*run[[]mock.json:1[]]: annotations of img-1: expected 3 (car box), "
                                 "found 2 (car box x2)"])
    result.stdout.fnmatch_lines(['*run[[]mock.json:2[]]: items matching {"dir": "/thumbnails"}: expected at least 1, '
                                 "found 0 (the datasets hold /car.png, /thumbs/thumb-car.png)"])
    result.stdout.fnmatch_lines(['*run[[]mock.json:3[]]: items matching {"metadata.user.tagged": true} in dataset '
                                 "pets: expected 0, found 1 (/car.png); annotations of img-1: expected at least 1 "
                                 "(person), found 0 (car box x2)"])
    assert "run[mock.json:0]" not in "".join(line for line in out.splitlines() if line.startswith("FAILED"))


def test_a_malformed_state_expectation_is_a_located_manifest_finding(faas_pytester, packages):
    package = copy.deepcopy(THUMBS_PACKAGE)
    package["mock.json"]["cases"] = [{"expect": {
        "items": [{"filter": {"dir": {"$glob": "/thumbs"}}}, {"dataset": "pest", "count": 1}],
        "annotations": [{"item": "img-1", "count": -2, "colour": "red"}]}}]
    package["mock.json"]["inputs"] = [[{"name": "item", "value": "img-1"}]]
    packages.write("thumbs", package)
    result = faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider", "-k", "manifest")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*thumbs/mock.json: cases[[]0[]].expect.items[[]0[]].filter: expected a valid DQL filter*$glob*",
        "*thumbs/mock.json: cases[[]0[]].expect.annotations[[]0[]].count: expected a number >= 0, found -2*",
        "*thumbs/mock.json: cases[[]0[]].expect.annotations[[]0[]].colour: expected one of the keys*",
    ])
    package["mock.json"]["cases"] = [{"expect": {"items": [{"dataset": "pest", "count": 1}]}}]
    packages.write("thumbs", package)
    result = faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider", "-k", "manifest")
    result.stdout.fnmatch_lines(["*cases[[]0[]].expect.items[[]0[]].dataset: expected the id or name of a dataset "
                                 "declared in this mock file, found 'pest' (did you mean 'pets'?)*"])


def test_a_pipeline_templates_case_checks_what_the_pipeline_left(faas_pytester, packages):
    from test_pipeline_cases import CLASSIFY_MOCK, TEMPLATE_MOCK, node_package, pipeline_template

    mock = copy.deepcopy(TEMPLATE_MOCK)  # the "cats" node tags the item it gets with metadata.user.cats
    tagged = {"filter": {"metadata.user.cats": True}, "count": 1}
    mock["cases"][0]["expect"]["items"] = [tagged]
    mock["cases"][1]["expect"]["items"] = [tagged]  # dog-1 goes to the "dogs" node instead
    node_package(packages, CLASSIFY_MOCK, {"sorter.pipeline.json": pipeline_template(),
                                           "sorter.pipeline.mock.json": mock})
    result = faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider", "-k", "pipeline")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(['pipeline sorter[[]sorter.pipeline.mock.json:1[]]: items matching '
                                 '{"metadata.user.cats": true}: expected 1, found 0 (the datasets hold /bad.png, '
                                 "/cat.png, /dog.png)"])
