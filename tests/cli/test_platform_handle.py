"""The `faas` command's session is a platform handle like the plugin's: embedded, or bound to a URL."""

from __future__ import annotations

import os

from pytest_faas.cli.common.session import Options, Session
from pytest_faas.handle import Platform
from pytest_faas.local import LocalPlatform


def test_embedded_session_is_a_handle_on_a_platform_of_this_process(faas, tmp_path):
    session = Session(Options(data_dir=str(tmp_path / ".faas")))
    try:
        assert not session.embedded, "nothing is opened before it is used"
        assert isinstance(session, Platform)  # reading the handle's attributes opens it
        assert session.embedded and session.app is session.platform.backend.app
        assert session.url == f"{session.base_url}/api/v1"
        assert session.dl.projects.create("via-session").name == "via-session"
    finally:
        session.close()
    assert session.platform is None


def test_url_session_is_a_remote_handle_whichever_url_it_is_given(faas, tmp_path):
    with LocalPlatform(data_dir=tmp_path / "server", bind_sdk=False, placement="none") as server:
        for name, given in (("by-api-base", server.url), ("by-gate-url", server.base_url + "/")):
            session = Session(Options(data_dir=str(tmp_path / ".faas"), url=given, token=server.token))
            try:
                assert isinstance(session, Platform) and not session.embedded and session.app is None
                assert (session.base_url, session.url) == (server.base_url, server.url)
                assert session.dl.projects.create(name).name == name
                private = session.platform._dataloop_path
                assert os.path.basename(private).startswith("faas-cli-dtlpy-")
            finally:
                session.close()
            assert not os.path.exists(private), "its private dtlpy folder is removed on close"
        assert sorted(p["name"] for p in server.backend.projects.list_projects()) == ["by-api-base", "by-gate-url"]
