import pytest


@pytest.fixture
def platform(faas_platform):
    """The session's platform (in-process server thread)."""
    return faas_platform


@pytest.fixture
def api(platform):
    """A raw HTTP client for the REST surface, for requests dtlpy would never send (bad input)."""
    import requests

    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {platform.token}"

    class Api:
        url = platform.url

        def __getattr__(self, method):
            def call(path, **kwargs):
                return session.request(method.upper(), platform.url + path, **kwargs)
            return call

    yield Api()
    session.close()
