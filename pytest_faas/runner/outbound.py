"""What a mock case's function may reach: the mock file's HTTP stubs answer, the platform passes, the rest fails.

A generated case sends its stubs to the agent inside the execution's input, under the reserved name
`INPUT_KEY` (every placement gets the execution record, so the stubs travel the same way to a thread, a
child process and a container); the agent takes the key out before the function sees its inputs. Around
that one execution the agent calls `enter` and `leave`:

- ``requests``: one process-wide patch of ``HTTPAdapter.send`` hands the calls of the execution's thread
  to its own ``responses.RequestsMock`` (so that executions running at once in one process each see their
  own stubs). Calls to the platform's own address pass through. A call no stub matches raises
  `UndeclaredCall` (a ``requests.ConnectionError``) naming the method, the URL and the mock file.
- Every other client (urllib, http.client, httpx, aiohttp, raw sockets, the ``_socket`` module, a socket
  made on a duplicated descriptor, a reloaded ``socket`` module): an audit hook (``sys.addaudithook``, added
  once per process and never removed) sees the C-level ``socket.connect``, ``sendto`` and ``sendmsg`` events
  and ``getaddrinfo``/``gethostbyname``/``gethostbyaddr`` lookups, and refuses every address but the
  platform's (Unix sockets pass) and every name but the platform's host, so that not even a DNS query leaves
  the machine. It also refuses resolving the C functions that connect, send or look names up through
  ``ctypes``. The refusal is a ``ConnectionRefusedError`` (``socket.gaierror`` for a lookup) saying why.
- Which thread is guarded: the execution's, and every thread started from a guarded thread (tagged when it
  starts), for its whole life, also after the execution returned. While a guarded execution runs, a thread
  that belongs to no execution is refused too (it may be one the function started some other way).

What a process cannot stop is left to the docker placement, whose containers have no network: C code that
calls ``connect`` itself (an extension module, a ``ctypes`` function pointer resolved before the guard), raw
system calls, and a child process the function starts.

What was refused is also recorded: the execution fails with `leave`'s message even when the function
caught the error. Each answered call is logged as ``[faas] outbound <METHOD> <URL> -> <status>``, which
is what ``expect.calls`` is checked against (`answered_calls`).
"""

from __future__ import annotations

import base64
import functools
import ipaddress
import json
import socket
import sys
import threading
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from . import inherit

INPUT_KEY = "_faas_outbound"
CALL_MARK = "[faas] outbound "

_ORIGINAL_SEND = HTTPAdapter.send
_ORIGINAL_GETADDRINFO = socket.getaddrinfo

_LOCK = threading.Lock()
_ACTIVE: list[Guard] = []  # guarded executions running in this process
# Every platform of this process (host names and addresses, port): reachable from any guarded thread. A
# thread keeps its guard for life, and a pool thread a function once started may later serve the test
# process's dtlpy for another platform of the same pytest run (thread placement).
_PLATFORMS: set[tuple[frozenset[str], int]] = set()


class UndeclaredCall(requests.ConnectionError):
    """A ``requests`` call that no stub of the mock file declares."""


def take(execution: dict) -> tuple[dict, dict | None]:
    """The execution without the reserved input, and the outbound declaration it carried (None: unguarded)."""
    inputs = execution.get("input")
    if not isinstance(inputs, dict) or INPUT_KEY not in inputs:
        return execution, None
    inputs = dict(inputs)
    spec = inputs.pop(INPUT_KEY)
    return dict(execution, input=inputs), spec if isinstance(spec, dict) else {}


def answered_calls(lines: list[str]) -> list[tuple[str, str]]:
    """``(METHOD, URL)`` of every stubbed call an execution's log records, in order."""
    calls = []
    for line in lines:
        if line.startswith(CALL_MARK):
            method, _, rest = line[len(CALL_MARK):].partition(" ")
            calls.append((method, rest.rsplit(" -> ", 1)[0]))
    return calls


def _stub_response(stub: dict):
    """A ``responses.Response`` for one entry of the mock file's ``http`` list (already validated)."""
    import responses  # noqa: PLC0415 (only executions that carry stubs pay for it)
    from responses import matchers  # noqa: PLC0415

    match = []
    wanted = stub.get("match") or {}
    if "query" in wanted:
        match.append(matchers.query_param_matcher(wanted["query"]))
    if "json" in wanted:
        match.append(matchers.json_params_matcher(wanted["json"]))
    kwargs = {"status": int(stub.get("status", 200)), "headers": stub.get("headers") or None, "match": match}
    if "json" in stub:
        kwargs["body"] = json.dumps(stub["json"])
        kwargs["content_type"] = "application/json"
    elif "body_base64" in stub:  # bytes (a body_file's travel this way too)
        kwargs["body"] = base64.b64decode(stub["body_base64"])
        if not any(name.lower() == "content-type" for name in stub.get("headers") or {}):
            kwargs["content_type"] = "application/octet-stream"
    else:
        kwargs["body"] = stub.get("body") or ""
    response = responses.Response(stub.get("method", "GET").upper(), stub["url"], **kwargs)
    response.faas_repeat = stub.get("repeat")  # None: answers every time
    return response


@functools.cache
def _registry_class():
    from responses.registries import FirstMatchRegistry  # noqa: PLC0415

    class InOrder(FirstMatchRegistry):
        """The first declared stub that matches and is not used up answers; a miss is remembered."""

        def __init__(self):
            super().__init__()
            self.missed = 0

        def find(self, request):
            reasons = []
            for response in self.registered:
                repeat = getattr(response, "faas_repeat", None)
                if repeat is not None and response.call_count >= repeat:
                    reasons.append(f"used up: it answers {repeat} time(s)")
                    continue
                matched, reason = response.matches(request)
                if matched:
                    return response, reasons
                reasons.append(reason)
            self.missed += 1
            return None, reasons

    return InOrder


@functools.lru_cache(maxsize=16)
def _addresses(host: str, port: int) -> frozenset[str]:
    """The platform's host name and the addresses it resolves to (an agent keeps one platform)."""
    try:
        return frozenset({host} | {info[4][0] for info in _ORIGINAL_GETADDRINFO(host, port)})
    except OSError:
        return frozenset({host})


class Guard:
    """One execution's outbound rules. The phrases that say who is guarded and how to declare a call are
    methods, so that the ``faas_http`` fixture guards a unit test with the same rules in its own words."""

    who = "a mock case's function"

    def __init__(self, spec: dict, platform_url: str, log):
        import responses  # noqa: PLC0415 (imported before any patch: it keeps the real send)

        self.source = spec.get("source") or "the mock file"
        self.where = f"cases[{spec['case']}] or the top level" if spec.get("case") is not None else "the top level"
        self.log = log
        self.refused: list[str] = []
        parts = urlsplit(platform_url)
        self.platform_host = parts.hostname or "127.0.0.1"
        self.platform_port = parts.port or (443 if parts.scheme == "https" else 80)
        self.platform = f"{self.platform_host}:{self.platform_port}"
        self.addresses = _addresses(self.platform_host, self.platform_port)  # its own platform: always allowed
        self.mock = responses.RequestsMock(assert_all_requests_are_fired=False, registry=_registry_class(),
                                           real_adapter_send=_ORIGINAL_SEND)
        for stub in spec.get("http") or []:
            self.mock.add(_stub_response(stub))
        self._send = self.mock.unbound_on_send()

    def allows(self, host: str, port: int | None) -> bool:
        return (host in self.addresses and port == self.platform_port) or any(
            host in addresses and port == known for addresses, known in list(_PLATFORMS))

    def declare(self, method: str, url: str) -> str:
        """How to declare a ``requests`` call that no stub matches."""
        stub = json.dumps({"method": method, "url": url.split("?")[0], "status": 200, "json": {}})
        return f"no stub matches it: declare it in the \"http\" list of {self.source} ({self.where}), e.g. {stub}"

    def other_clients(self) -> str:
        """Why a connection that is not a ``requests`` call is refused."""
        return ("only requests calls can be stubbed (declare them under \"http\" in the mock file); urllib, "
                "http.client, httpx and aiohttp calls are refused")

    def lookup(self) -> str:
        """Why a name lookup is refused."""
        return "declare the call under \"http\" in the mock file and make it with requests"

    def refuse(self, what: str, hint: str) -> str:
        message = f"pytest-faas refused {what}: {self.who} may reach only the platform ({self.platform}); {hint}"
        self.refused.append(message)
        return message

    def send(self, adapter, request, *args, **kwargs):
        missed = self.mock.get_registry().missed
        try:
            response = self._send(adapter, request, *args, **kwargs)
        except requests.ConnectionError as exc:
            if self.mock.get_registry().missed == missed:
                raise
            method = request.method.upper()
            raise UndeclaredCall(self.refuse(f"{method} {request.url}", self.declare(method, request.url)),
                                 request=request) from None
        self.log(f"{CALL_MARK}{request.method.upper()} {request.url} -> {response.status_code}")
        return response

    def problem(self) -> str | None:
        """Why the execution fails although the function may have caught the error (None: nothing refused)."""
        if not self.refused:
            return None
        more = f" (and {len(self.refused) - 1} more)" if len(self.refused) > 1 else ""
        return self.refused[0] + more


def _platform_entry(url: str) -> tuple[frozenset[str], int]:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return _addresses(parts.hostname or "127.0.0.1", port), port


def allow_platform(url: str) -> None:
    """A platform of this process, reachable from every guarded thread (see ``_PLATFORMS``)."""
    _PLATFORMS.add(_platform_entry(url))


def forget_platform(url: str) -> None:
    """A platform of this process that closed: its port may be anyone's next, so it is allowed no more."""
    _PLATFORMS.discard(_platform_entry(url))


def enter(spec: dict | None, platform_url: str, log) -> Guard | None:
    """Start guarding the calling thread's execution (nothing when the execution carries no declaration)."""
    if spec is None:
        return None
    return activate(Guard(spec, platform_url, log))


def activate(guard: Guard) -> Guard:
    """Guard the calling thread with ``guard`` (patching the process while any guard is active)."""
    with _LOCK:
        if not _ACTIVE:
            _install()
        _ACTIVE.append(guard)
    inherit.put("guard", guard)
    return guard


def leave(guard: Guard | None) -> str | None:
    """Stop guarding; returns what was refused, as the execution's failure message."""
    if guard is None:
        return None
    inherit.put("guard", None)
    with _LOCK:
        _ACTIVE.remove(guard)
        if not _ACTIVE:
            _uninstall()
    return guard.problem()


# -- the process-wide parts: the requests patch and thread tagging while a guard runs, the audit hook for good --

_HOOKED = False
_NET_EVENTS = frozenset({"socket.connect", "socket.sendto", "socket.sendmsg", "socket.getaddrinfo",
                         "socket.gethostbyname", "socket.gethostbyaddr", "ctypes.dlsym"})
# C functions that reach the network, refused to a guarded thread's ctypes lookups.
_C_NETWORK = frozenset({"connect", "sendto", "sendmsg", "sendmmsg", "getaddrinfo", "gethostbyname",
                        "gethostbyname2", "gethostbyname_r", "gethostbyname2_r", "gethostbyaddr", "res_query",
                        "res_search", "res_nquery", "res_nsearch"})
_INET = (socket.AF_INET, socket.AF_INET6)


def _install() -> None:
    global _HOOKED
    HTTPAdapter.send = _send
    inherit.acquire()
    if not _HOOKED:  # an audit hook cannot be removed: it is added once and does nothing while no guard runs
        sys.addaudithook(_audit)
        _HOOKED = True


def _uninstall() -> None:
    HTTPAdapter.send = _ORIGINAL_SEND
    inherit.release()


def _own_guard() -> Guard | None:
    """The guard of the calling thread: its execution's, or the one it inherited when it was started."""
    return inherit.get("guard")


def _send(adapter, request, *args, **kwargs):
    guard = _own_guard()
    if guard is None:
        return _ORIGINAL_SEND(adapter, request, *args, **kwargs)
    parts = urlsplit(request.url)
    if guard.allows(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)):
        return _ORIGINAL_SEND(adapter, request, *args, **kwargs)
    return guard.send(adapter, request, *args, **kwargs)


def _guards() -> list[Guard]:
    """The guards a refusal is charged to: the calling thread's, else every running one (a thread that
    belongs to no execution may be one the function started)."""
    own = _own_guard()
    if own is not None:
        return [own]
    with _LOCK:
        return list(_ACTIVE)


def _audit(event: str, args: tuple) -> None:
    if event not in _NET_EVENTS or (not _ACTIVE and _own_guard() is None):
        return
    if event == "ctypes.dlsym":
        _check_symbol(args[1])
    elif event.startswith("socket.get"):  # a reverse lookup of even a numeric address is a DNS query
        _check_name(args[0], reverse=event == "socket.gethostbyaddr")
    else:  # connect, sendto, sendmsg: (socket, address); sendmsg on a connected socket has no address
        _check_address(args[0], args[1])


def _check_address(sock, address) -> None:
    if address is None or getattr(sock, "family", None) not in _INET or not isinstance(address, tuple):
        return  # Unix sockets: the platform's, the docker engine's; nothing that leaves the machine
    host, port = address[0], address[1]
    guards = _guards()
    if not guards or any(g.allows(host, port) for g in guards):
        return
    messages = [g.refuse(f"a connection to {host}:{port}", g.other_clients()) for g in guards]
    raise ConnectionRefusedError(messages[0])


def _check_name(host, reverse: bool = False) -> None:
    if host is None or (_numeric(host) and not reverse):
        return
    name = host.decode(errors="replace") if isinstance(host, bytes) else str(host)
    guards = _guards()
    if guards and not any(name in g.addresses for g in guards):
        messages = [g.refuse(f"looking up the name {name!r}", g.lookup()) for g in guards]
        raise socket.gaierror(socket.EAI_NONAME, messages[0])


def _check_symbol(name) -> None:
    guard = _own_guard()  # only the function's own threads: ctypes in the harness's threads is left alone
    if guard is not None and isinstance(name, str) and name in _C_NETWORK:
        raise ConnectionRefusedError(guard.refuse(
            f"the C function {name!r} through ctypes", "make the call with requests and declare it under \"http\""))


def _numeric(host) -> bool:
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    try:
        ipaddress.ip_address(str(host).strip("[]").split("%")[0])
    except ValueError:
        return False
    return True
