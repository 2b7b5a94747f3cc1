import pytest

from .pipeline_code import write_nodes_package


@pytest.fixture
def here(tmp_path, monkeypatch):
    """Work in tmp_path: dtlpy's push writes a .dataloop folder into the current directory."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def nodes_service(faas_project, here):
    """The node functions of pipeline_code, pushed and deployed in this test's project."""
    package = faas_project.packages.push(src_path=str(write_nodes_package(here / "nodes")), ignore_sanity_check=True)
    return package.deploy(service_name="nodes", runtime={"concurrency": 4, "numReplicas": 1},
                          execution_timeout=60)


@pytest.fixture
def api(faas_platform):
    """Raw HTTP for requests dtlpy would never send: ``api.post(path, json=...)`` -> requests.Response."""
    import requests

    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {faas_platform.token}"

    class Api:
        def __getattr__(self, method):
            return lambda path, **kwargs: session.request(method.upper(), faas_platform.url + path, **kwargs)

    yield Api()
    session.close()
