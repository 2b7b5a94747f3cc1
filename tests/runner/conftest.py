"""Fixtures of the runner contract suite: one platform per placement, the contract package deployed on it.

``PLACEMENTS`` is the one list the contract suite runs over; a new placement is added here.
"""

from __future__ import annotations

import contextlib
import os

import pytest

from faas_code import contract_package

PLACEMENTS = ["thread", "subprocess", pytest.param("docker", marks=pytest.mark.docker)]


@contextlib.contextmanager
def working_directory(path):
    """dtlpy's push writes a ``.dataloop`` folder into the current directory; keep it in tmp."""
    previous = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


@pytest.fixture(scope="module", params=PLACEMENTS)
def placement(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def platform(placement):
    from pytest_faas.local import LocalPlatform

    with LocalPlatform(placement=placement) as running:
        yield running


@pytest.fixture(scope="module")
def dl(platform):
    return platform.dl


@pytest.fixture(scope="module")
def project(dl, placement):
    from pytest_faas.ids import new_id

    return dl.projects.create(f"contract-{placement}-{new_id()[-8:]}")


@pytest.fixture(scope="module")
def push(project, tmp_path_factory):
    """Push a package folder with the real SDK: ``push(folder, **push_kwargs) -> dl.Package``."""
    def push_folder(folder, **kwargs):
        with working_directory(folder.parent):
            return project.packages.push(src_path=str(folder), **kwargs)
    return push_folder


@pytest.fixture(scope="module")
def contract(push, tmp_path_factory):
    return push(contract_package(tmp_path_factory.mktemp("contract") / "contract"))


@pytest.fixture(scope="module")
def service(dl, contract):
    """The contract module: ``initParams {value: 42}``, 4 at once, a 2 s execution timeout."""
    return contract.deploy(service_name="contract", init_input=dl.FunctionIO(type="Json", name="value", value=42),
                           runtime={"concurrency": 4, "numReplicas": 1}, execution_timeout=2)


@pytest.fixture(scope="module")
def rerun_service(dl, contract):
    """The same code with ``onReset: rerun`` and two attempts."""
    return contract.deploy(service_name="contract-rerun", runtime={"concurrency": 2},
                           init_input=dl.FunctionIO(type="Json", name="value", value=1),
                           execution_timeout=1, on_reset="rerun", max_attempts=2)
