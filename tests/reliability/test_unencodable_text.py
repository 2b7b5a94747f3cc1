"""A lone surrogate ("\\udcff", what ``surrogateescape`` makes of a bad byte) in what a function prints, logs,
returns or raises: the execution still finishes, with the character written as its escape, in every placement.

Before, the agent's finish could not be stored (the platform keeps UTF-8), so the execution stayed in progress
until its timeout and was then blamed on the user's code as a runner timeout.
"""

from __future__ import annotations

import pytest

from faas_code import Deployed, simple_package

BODY = '''
def printed(self):
    print("bad byte \\udcff printed")
    return "printed"

def logged(self):
    import logging
    logging.getLogger("user").warning("bad byte \\udcff logged")
    return "logged"

def returned(self):
    return {"name \\udcff": ["bad byte \\udcff returned", "fine \\u00e9"]}

def raised(self):
    raise ValueError("bad byte \\udcff raised")

def progressed(self, progress):
    progress.update(message="bad byte \\udcff in progress")
    return "progressed"
'''
FUNCTIONS = [("printed", []), ("logged", []), ("returned", []), ("raised", []), ("progressed", [])]
ESCAPED = "\\udcff"


@pytest.fixture(scope="module", params=["thread", "subprocess", pytest.param("docker", marks=pytest.mark.docker)])
def deployed(request, tmp_path_factory):
    from pytest_faas.local import LocalPlatform

    folder = simple_package(tmp_path_factory.mktemp("unencodable") / "unencodable", "unencodable", BODY, FUNCTIONS)
    with LocalPlatform(placement=request.param) as platform:
        # A short timeout: an execution that cannot finish ends as a runner timeout, not a hung test.
        yield Deployed(platform, folder, execution_timeout=20)


@pytest.mark.parametrize("function, where", [("printed", "log"), ("logged", "log"), ("progressed", "status")])
def test_a_line_with_a_lone_surrogate_is_escaped_and_the_execution_finishes(deployed, function, where):
    record = deployed.run(function)
    assert record["latestStatus"]["status"] == "success", record["latestStatus"]
    assert record["output"] == function
    if where == "log":
        assert f"bad byte {ESCAPED} {function}" in "\n".join(deployed.lines(record))
    else:
        assert any(f"bad byte {ESCAPED}" in (entry.get("message") or "") for entry in record["statusLog"])


def test_an_output_with_lone_surrogates_is_stored_escaped(deployed):
    record = deployed.run("returned")
    assert record["latestStatus"]["status"] == "success", record["latestStatus"]
    assert record["output"] == {f"name {ESCAPED}": [f"bad byte {ESCAPED} returned", "fine \u00e9"]}


def test_an_exception_with_a_lone_surrogate_fails_with_its_message_not_a_timeout(deployed):
    record = deployed.run("raised")
    assert record["latestStatus"]["status"] == "failed"
    assert f"ValueError: bad byte {ESCAPED} raised" in record["latestStatus"]["message"]
