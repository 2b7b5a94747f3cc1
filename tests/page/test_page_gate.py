"""The page's entry and files behind the token: the token once in the address, then a cookie that grants
what the token grants and nothing else; without either, one line of 401 and not a byte of the page."""

from __future__ import annotations

import re

import pytest
import requests

from pytest_faas.backend.web.wsgi import page_cookie_value
from pytest_faas.local import LocalPlatform


@pytest.fixture(scope="module")
def platform():
    with LocalPlatform(placement="none", bind_sdk=False) as platform:
        yield platform


def signed_in(platform) -> requests.Session:
    session = requests.Session()
    answer = session.get(f"{platform.base_url}/?token={platform.token}", allow_redirects=False)
    assert answer.status_code == 303 and answer.headers["Location"] == "/"
    return session


def test_the_token_in_the_address_becomes_a_cookie_and_leaves_the_address(platform):
    session = requests.Session()
    answer = session.get(f"{platform.base_url}/?token={platform.token}")
    assert answer.status_code == 200 and answer.url == f"{platform.base_url}/"  # redirected: no token left
    assert "<title>faas serve</title>" in answer.text
    cookie = answer.history[0].headers["Set-Cookie"]
    port = platform.base_url.rsplit(":", 1)[1]
    assert cookie.startswith(f"faas-page-{port}=")  # one cookie per server: ports share a host's cookies
    assert {"HttpOnly", "SameSite=Strict", "Path=/"} <= {part.strip() for part in cookie.split(";")}
    assert platform.token not in cookie  # the browser keeps a value derived from the token, not the token
    assert answer.headers["Cache-Control"] == "no-store" and answer.headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'self'" in answer.headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/", "/page/app.js", "/page/style.css", "/page/index.html", "/page/none",
                                  "/api/v1/_faas/events", "/api/v1/projects", "/anything"])
@pytest.mark.parametrize("how", ["nothing", "wrong token", "wrong cookie", "other port's cookie"])
def test_without_the_token_or_its_cookie_nothing_is_shown(platform, path, how):
    session = requests.Session()
    port = platform.base_url.rsplit(":", 1)[1]
    if how == "wrong token":
        path = path + ("&" if "?" in path else "?") + "token=" + platform.token[:-2] + "xx"
    elif how == "wrong cookie":
        session.cookies.set(f"faas-page-{port}", page_cookie_value(platform.token)[:-1] + "0")
    elif how == "other port's cookie":  # the right value under another server's name is not this server's
        session.cookies.set(f"faas-page-{int(port) + 1}", page_cookie_value(platform.token))
    answer = session.get(platform.base_url + path, allow_redirects=False)
    assert answer.status_code == 401
    assert "Set-Cookie" not in answer.headers
    assert len(answer.content) < 200 and "<" not in answer.text  # one line of text, nothing of the page
    assert "app.js" not in answer.text and "faas-page" not in answer.text


def test_the_cookie_grants_what_the_token_grants(platform):
    session = signed_in(platform)
    bearer = {"Authorization": f"Bearer {platform.token}"}
    for path in ("/api/v1/projects", "/api/v1/users/me", "/page/app.js", "/"):
        by_cookie, by_token = session.get(platform.base_url + path), requests.get(platform.base_url + path,
                                                                                  headers=bearer)
        assert by_cookie.status_code == by_token.status_code == 200, path
        assert by_cookie.content == by_token.content, path
    # The harness's routes too: the cookie is the platform's own token, not a narrower one.
    answer = session.post(f"{platform.url}/_faas/cron/advance", json={"seconds": 0}, headers={"X-Faas-Page": "1"})
    assert answer.status_code == 200, answer.text


def test_a_cookie_borne_change_must_come_from_the_page(platform):
    """A form or an image of another site on the same host sends the cookie (SameSite counts hosts, not
    ports) but cannot send a custom header: without it, a change is refused and nothing is stored."""
    session = signed_in(platform)
    before = len(platform.backend.projects.list_projects())
    refused = session.post(f"{platform.url}/projects", json={"name": "forged"})
    assert refused.status_code == 403 and "X-Faas-Page" in refused.json()["message"]
    assert len(platform.backend.projects.list_projects()) == before
    made = session.post(f"{platform.url}/projects", json={"name": "from-the-page"}, headers={"X-Faas-Page": "1"})
    assert made.status_code == 200 and made.json()["name"] == "from-the-page"


@pytest.mark.parametrize("token", ["agent", "function"])
def test_the_narrower_tokens_open_no_page(platform, token):
    narrower = getattr(platform.backend, f"{token}_token")
    answer = requests.get(f"{platform.base_url}/?token={narrower}", allow_redirects=False)
    assert answer.status_code == 403 and "Set-Cookie" not in answer.headers
    assert "needs the platform's token" in answer.text and "<" not in answer.text


def test_the_token_is_taken_from_the_address_of_the_entry_only(platform):
    assert requests.get(f"{platform.url}/projects?token={platform.token}").status_code == 401
    assert requests.get(f"{platform.base_url}/page/app.js?token={platform.token}").status_code == 401


@pytest.mark.parametrize("name", ["..", "../backend/http.py", "%2e%2e%2fhttp.py", "..%2fbackend%2fhttp.py",
                                  "index.html", "app.js.map", ""])
def test_only_the_pages_own_files_are_served(platform, name):
    import http.client

    cookie = signed_in(platform).cookies
    host, port = platform.base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)  # sends the path as written
    try:
        connection.request("GET", f"/page/{name}",
                           headers={"Cookie": "; ".join(f"{c.name}={c.value}" for c in cookie)})
        answer = connection.getresponse()
        body = answer.read()
    finally:
        connection.close()
    assert answer.status == 404, (name, answer.status)
    assert b"import" not in body


def test_the_page_loads_nothing_from_elsewhere(platform):
    session = signed_in(platform)
    html = session.get(platform.base_url + "/").text
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith("/page/") for s in sources), sources
    for name in ("app.js", "style.css"):
        text = session.get(f"{platform.base_url}/page/{name}").text
        assert not re.search(r"https?://", text.replace("http://www.w3.org/2000/svg", "")), name


def test_serve_prints_the_pages_address(tmp_path):
    """`faas serve` names the page's address, with the token to trade for the cookie."""
    import subprocess
    import sys

    data_dir = tmp_path / "data"
    process = subprocess.Popen([sys.executable, "-c", "from pytest_faas.cli import main; main()", "--data-dir",
                                str(data_dir), "serve", "--port", "0", "--placement", "thread", "-q"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=tmp_path)
    try:
        line = next(line for line in process.stdout if line.startswith("page:"))
        address = line.split()[1]
        token = (data_dir / "token").read_text().strip()
        assert address.endswith(f"/?token={token}")
        assert requests.get(address).url == address.split("?")[0]
    finally:
        process.terminate()
        process.wait(timeout=30)
