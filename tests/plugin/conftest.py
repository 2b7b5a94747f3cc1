import pytest


@pytest.fixture
def faas_pytester(pytester, tmp_path_factory, monkeypatch):
    """A pytester whose runs never see the developer's Dataloop login."""
    monkeypatch.setenv("DATALOOP_PATH", str(tmp_path_factory.mktemp("dtlpy")))
    return pytester
