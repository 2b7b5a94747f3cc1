"""With ``--faas``, dtlpy never reads or writes the user's own ``~/.dataloop``, not even when a test module
imports dtlpy at collection (the sample's unit tests import the package's ``main.py``), before any platform
is bound. dtlpy 1.110 to 1.124 would also start a version check with that login's token at that import."""

import json
import os

USER_LOGIN = {"url": "https://gate.example/api/v1", "login_parameters": {"https://gate.example/api/v1": {
    "alias": "prod", "token": "the-users-own-token", "gate_url": "https://gate.example"}}}

IMPORTS_DTLPY = '''
import os

import dtlpy as dl

READ_AT_IMPORT = dl.client_api.cookie_io.COOKIE


def test_dtlpy_imported_at_collection_read_a_private_cookie():
    assert not READ_AT_IMPORT.startswith(os.path.expanduser("~"))
    assert dl.client_api.token != "the-users-own-token"
'''


def test_a_module_importing_dtlpy_at_collection_never_touches_the_users_login(pytester, monkeypatch, tmp_path):
    home = tmp_path / "home"
    login = home / ".dataloop" / "cookie.json"
    login.parent.mkdir(parents=True)
    login.write_text(json.dumps(USER_LOGIN))
    before = login.stat().st_mtime_ns
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("DATALOOP_PATH", raising=False)
    monkeypatch.delenv("DEFAULT_CACHE_PATH", raising=False)
    pytester.makepyfile(test_imports=IMPORTS_DTLPY)

    result = pytester.runpytest_subprocess("--faas", "-q", "-p", "no:cacheprovider")

    result.assert_outcomes(passed=1)
    assert sorted(os.listdir(login.parent)) == ["cookie.json"]
    assert login.stat().st_mtime_ns == before and json.loads(login.read_text()) == USER_LOGIN
