"""A stale test in the repo's own tests/ stops pytest at collection, before any mock case runs: the run says,
in one line, how to run the mock cases anyway, and both ways it names work."""

from faas_code import JSON_PACKAGE


def test_a_collection_error_elsewhere_says_how_to_run_the_mock_cases_anyway(faas_pytester, packages):
    packages.write("echo", dict(JSON_PACKAGE, **{"tests/test_stale.py": "from main import RemovedLongAgo\n"}))
    result = faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["pytest-faas: 1 collection error(s) stopped the run before any mock case ran; "
                                 "run them anyway with `pytest --faas --continue-on-collection-errors`, or only them "
                                 "with `pytest --faas echo/package.json`"])
    anyway = faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider", "--continue-on-collection-errors")
    anyway.assert_outcomes(passed=3, errors=1)
    only = faas_pytester.runpytest_subprocess("--faas", "-p", "no:cacheprovider", "echo/package.json")
    only.assert_outcomes(passed=3)
    assert "pytest-faas: " not in anyway.stdout.str() + only.stdout.str()
