"""Docker infrastructure: runner images, replica containers, the socket forwarder, sweep, OOM detection.

The `docker`-marked tests need a running engine and the base image; both come from
``bash scripts/docker-engine.sh``. Without them they skip, saying why (``pytest -rs``).
Measured figures are printed (``pytest -s``) so a run doubles as a benchmark.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import shutil
import socket
import statistics
import tempfile
import textwrap
import threading
import time
import uuid
from pathlib import Path

import pytest

from pytest_faas.placements.docker.engine import DockerEngine, DockerUnavailable
from pytest_faas.placements.docker.labels import LABEL, LABEL_PLATFORM, labels
from pytest_faas.placements.docker.replica import ReplicaSpec
from pytest_faas.placements.docker.forwarder import Forwarder
from pytest_faas.placements.docker.pods import POD_TYPES, resources_for
from pytest_faas.placements.docker.images import BASE_IMAGE, ImageBuildError, ImageBuilder


# ---- fixtures --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def engine():
    reason = DockerEngine.unavailable_reason()
    if reason:
        pytest.skip(reason)
    engine = DockerEngine.connect()
    if not engine.image_id(BASE_IMAGE):
        pytest.skip(f"base image {BASE_IMAGE} missing: build it with `faas docker setup`")
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def builder(engine):
    return ImageBuilder(engine)


@pytest.fixture
def platform_id(engine):
    """A platform id of this test only; its containers are swept afterwards, whatever happens."""
    pid = f"test-{uuid.uuid4().hex[:10]}"
    yield pid
    engine.sweep(pid)


@pytest.fixture
def tiny_package(tmp_path):
    """A minimal FaaS package whose requirements.txt names a small real PyPI package."""
    pkg = tmp_path / "tiny"
    pkg.mkdir()
    (pkg / "package.json").write_text(json.dumps({"name": "tiny-infra-test", "modules": []}))
    (pkg / "main.py").write_text("import six\n\nVALUE = six.moves.reduce(lambda a, b: a + b, [1, 2, 3])\n")
    (pkg / "requirements.txt").write_text("six\n")
    (pkg / "__pycache__").mkdir()  # never copied, never hashed
    (pkg / "__pycache__" / "junk.pyc").write_bytes(b"\0")
    return pkg


@pytest.fixture(scope="module")
def platform_socket():
    """A werkzeug app served on a host Unix socket in a short private folder (sun_path is 108 bytes)."""
    from werkzeug.serving import make_server
    from werkzeug.wrappers import Request, Response

    @Request.application
    def app(request):
        body = request.get_data()
        return Response(json.dumps({"path": request.path, "len": len(body)}), mimetype="application/json")

    folder = tempfile.mkdtemp(prefix="faas-run-")
    path = os.path.join(folder, "platform.sock")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = make_server(f"unix://{path}", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield path
    server.shutdown()
    shutil.rmtree(folder, ignore_errors=True)


# ---- without Docker ------------------------------------------------------------------------------------------

def test_labels_and_pod_types():
    assert labels("p1", "s1", 2) == {
        "pytest-faas": "1", "pytest-faas.platform": "p1", "pytest-faas.service": "s1", "pytest-faas.replica": "2",
        "pytest-faas.owner": f"{socket.gethostname()}:{os.getpid()}"}
    assert resources_for(None) == POD_TYPES["regular-s"]
    assert resources_for("highmem-l", engine_cpus=2).cpus == 2  # capped at what the engine has
    assert resources_for("no-such-pod").memory == POD_TYPES["regular-s"].memory
    sizes = [POD_TYPES[f"regular-{s}"] for s in ("xs", "s", "m", "l")]
    assert [r.cpus for r in sizes] == sorted(r.cpus for r in sizes)


def test_forwarder_keep_alive_half_close_and_speed(tmp_path):
    """Host-side check of the forwarder: keep-alive, a 5 MB body, EOF-delimited replies, added latency."""
    path = str(Path(tempfile.mkdtemp(prefix="faas-fw-")) / "s.sock")
    upstream = socket.socket(socket.AF_UNIX)
    upstream.bind(path)
    upstream.listen(16)

    def echo_server():  # a keep-alive HTTP/1.1 server: echoes the body length, never closes first
        while True:
            try:
                conn, _ = upstream.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    def serve(conn):
        f = conn.makefile("rb")
        while True:
            line = f.readline()
            if not line:
                break
            length = 0
            while (h := f.readline()) not in (b"\r\n", b""):
                if h.lower().startswith(b"content-length:"):
                    length = int(h.split(b":")[1])
            body = f.read(length)
            reply = str(len(body)).encode()
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(reply), reply))
        conn.close()

    threading.Thread(target=echo_server, daemon=True).start()
    with Forwarder(path) as fw:
        conn = http.client.HTTPConnection(*fw.address)
        conn.request("POST", "/big", body=b"x" * 5_000_000)
        assert conn.getresponse().read() == b"5000000"
        times = []
        for _ in range(300):  # the same connection throughout: keep-alive through the forwarder
            t = time.perf_counter()
            conn.request("POST", "/x", body=b"a" * 100)
            assert conn.getresponse().read() == b"100"
            times.append(time.perf_counter() - t)
        direct = http.client.HTTPConnection("localhost")
        direct.sock = socket.socket(socket.AF_UNIX)
        direct.sock.connect(path)
        direct_times = []
        for _ in range(300):
            t = time.perf_counter()
            direct.request("POST", "/x", body=b"a" * 100)
            direct.getresponse().read()
            direct_times.append(time.perf_counter() - t)
        # A client that half-closes after its request still gets the whole reply.
        raw = socket.create_connection(fw.address)
        raw.sendall(b"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc")
        raw.shutdown(socket.SHUT_WR)
        assert raw.recv(1000).endswith(b"\r\n\r\n3")
        raw.close()
    upstream.close()
    via, plain = statistics.median(times) * 1e3, statistics.median(direct_times) * 1e3
    print(f"\nforwarder (same process, keep-alive): {via:.3f} ms per request vs {plain:.3f} ms direct")
    assert via < plain + 1.0


# ---- with Docker -----------------------------------------------------------------------------------------

@pytest.mark.docker
def test_package_image_holds_the_requirements_not_the_code(builder, engine, tiny_package, tmp_path):
    first = builder.package_image(tiny_package)
    second = builder.package_image(tiny_package)
    runner = builder.runner_base()
    print(f"\npackage image {first.ref}: first ensure {first.seconds:.2f}s (built={first.built}), "
          f"second {second.seconds * 1e3:.1f} ms (built={second.built}); runner base {runner.ref}")
    for ref in (BASE_IMAGE, runner.ref, first.ref):
        print(f"  {ref}: {engine.image_attrs(ref)['Size'] / 1e6:.0f} MB")
    assert second.built is False and second.ref == first.ref and second.image_id == first.image_id
    assert first.base == BASE_IMAGE and not first.warnings and first.runner == runner.ref

    result = engine.run_once(first.ref, ["sh", "-c", "id -un; python -c 'import six; print(six.__name__)'; "
                                          "find / -xdev -name main.py -path '*tiny*' 2>/dev/null | wc -l"])
    assert result.exit_code == 0, result.output
    assert result.output.split() == ["faas", "six", "0"]  # non-root user, six installed, no code

    # Neither a code change nor another package with the same requirements.txt builds anything.
    (tiny_package / "main.py").write_text("import six\n\nVALUE = 7\n")
    other = tmp_path / "other"
    other.mkdir()
    (other / "requirements.txt").write_text((tiny_package / "requirements.txt").read_text())
    for same in (builder.package_image(tiny_package), builder.package_image(other)):
        assert not same.built and same.ref == first.ref
    # Without a requirements.txt a package runs on the runner base itself.
    (other / "requirements.txt").unlink()
    assert builder.package_image(other).ref == runner.ref


@pytest.mark.docker
def test_runner_image_resolution(builder, engine):
    missing = builder.runner_base("registry.invalid/team/runner:9")
    assert missing.base == BASE_IMAGE
    assert "registry.invalid/team/runner:9" in missing.warnings[0] and "nothing is pulled" in missing.warnings[0]

    local = "pytest-faas-test/custom-runner:1"  # "present locally": a tag of our base
    engine.client.images.get(BASE_IMAGE).tag(local)
    try:
        present = builder.runner_base(local)
        assert present.base == local and not present.warnings
        assert present.image_id == missing.image_id  # same base image id: same key, no rebuild
    finally:
        engine.client.images.remove(local)


@pytest.mark.docker
def test_runner_image_without_python_is_a_clear_error(builder, engine, tmp_path):
    import io
    import tarfile

    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as tar:  # an image holding one text file, no shell, no python
        info = tarfile.TarInfo("hello.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    ref = f"pytest-faas-test/no-python:{uuid.uuid4().hex[:8]}"
    engine.client.api.import_image_from_data(data.getvalue(), repository=ref.split(":")[0], tag=ref.split(":")[1])
    try:
        with pytest.raises(ImageBuildError, match="no-python.* has no usable python3"):
            builder.runner_base(ref)
    finally:
        engine.client.images.remove(ref)


@pytest.mark.docker
def test_bad_requirement_names_the_line(builder, tmp_path):
    pkg = tmp_path / "bad"
    pkg.mkdir()
    (pkg / "main.py").write_text("")
    (pkg / "requirements.txt").write_text("six\nnosuchpkg-pytest-faas==9\n")
    with pytest.raises(ImageBuildError) as info:
        builder.package_image(pkg)
    text = str(info.value)
    print("\n" + text)
    assert "bad/requirements.txt line 2 'nosuchpkg-pytest-faas==9': pip could not find it:" in text
    assert "No matching distribution found for nosuchpkg-pytest-faas==9" in text


@pytest.mark.docker
def test_network_none_container_reaches_host_socket_through_forwarder(builder, engine, platform_id, platform_socket):
    image = builder.runner_base()
    probe = textwrap.dedent("""
        import http.client, json, socket, statistics, time
        def request(conn):
            t = time.perf_counter()
            conn.request("POST", "/api/v1/ping", body=b"x" * 1000)
            data = json.loads(conn.getresponse().read())
            return time.perf_counter() - t, data
        class Unix(http.client.HTTPConnection):
            def connect(self):
                self.sock = socket.socket(socket.AF_UNIX); self.sock.connect("/faas/run/platform.sock")
        via = [request(http.client.HTTPConnection("127.0.0.1", 8799)) for _ in range(200)]
        direct = [request(Unix("localhost")) for _ in range(200)]
        # No interface but loopback: nothing to reach the network with (no packet is sent to find out).
        network = "no" if [name for _, name in socket.if_nameindex()] == ["lo"] else "yes"
        print(json.dumps({"reply": via[0][1], "via_ms": statistics.median(t for t, _ in via) * 1e3,
                          "direct_ms": statistics.median(t for t, _ in direct) * 1e3, "network": network}))
    """)
    replica = engine.start_replica(ReplicaSpec(
        image=image.ref, platform_id=platform_id, service_id="svc", replica=0,
        socket_dir=os.path.dirname(platform_socket), pod_type="regular-xs"))
    replica.wait_forwarder()
    result = replica.exec(["python", "-c", probe])
    assert result.exit_code == 0, result.output + replica.logs()
    report = json.loads(result.output.strip().splitlines()[-1])
    print(f"\nin a network-none container: {report['via_ms']:.3f} ms per request through the forwarder, "
          f"{report['direct_ms']:.3f} ms on the Unix socket directly (fresh connection each; werkzeug closes)")
    assert report["reply"] == {"path": "/api/v1/ping", "len": 1000}
    assert report["network"] == "no"
    state = replica.state()
    assert state.running and not state.oom_killed
    attrs = replica.container.attrs["HostConfig"]
    assert attrs["NetworkMode"] == "none" and not attrs["Privileged"] and attrs["NanoCpus"] == 1_000_000_000
    assert replica.container.attrs["Config"]["User"] == "faas"


@pytest.mark.docker
def test_main_command_is_execd_after_the_forwarder(builder, engine, platform_id, platform_socket):
    """The agent's command line runs as the container's main process, with the forwarder already up."""
    image = builder.runner_base()
    script = ("import urllib.request; print(urllib.request.urlopen("
              "urllib.request.Request('http://127.0.0.1:8799/api/v1', data=b'abc')).read().decode())")
    replica = engine.start_replica(ReplicaSpec(
        image=image.ref, platform_id=platform_id, service_id="svc", replica=1,
        socket_dir=os.path.dirname(platform_socket), command=["python", "-c", script]))
    state = replica.wait(timeout=30)
    assert state.exit_code == 0, replica.logs()
    assert '{"path": "/api/v1", "len": 3}' in replica.logs()


@pytest.mark.docker
def test_sweep_removes_only_labelled_containers(builder, engine, platform_id):
    image = builder.runner_base().ref
    other_platform = f"{platform_id}-other"
    stranger = engine.client.containers.run(BASE_IMAGE, ["sleep", "infinity"], detach=True, network_mode="none",
                                            name=f"not-faas-{platform_id}", labels={"team": "someone-else"})
    try:
        mine = [engine.start_replica(ReplicaSpec(image=image, platform_id=platform_id, service_id="s", replica=n,
                                                 command=["sleep", "infinity"])) for n in range(2)]
        theirs = engine.start_replica(ReplicaSpec(image=image, platform_id=other_platform, service_id="s",
                                                  command=["sleep", "infinity"]))
        assert {r.name for r in engine.replicas(platform_id)} == {r.name for r in mine}
        assert sorted(engine.sweep(platform_id)) == sorted(r.name for r in mine)
        assert engine.replicas(platform_id) == []
        assert [r.name for r in engine.replicas(other_platform)] == [theirs.name]
        assert sorted(engine.sweep(other_platform)) == [theirs.name]
        stranger.reload()
        assert engine.replicas(platform_id) == [] and engine.replicas(other_platform) == []
        assert stranger.status == "running"
        assert LABEL not in stranger.labels and LABEL_PLATFORM not in stranger.labels
    finally:
        stranger.remove(force=True)


@pytest.mark.docker
def test_orphan_sweep_removes_containers_whose_run_is_gone_and_keeps_the_rest(builder, engine, platform_id):
    import subprocess
    import sys

    image = builder.runner_base().ref
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    gone = f"{socket.gethostname()}:{finished.stdout.strip()}"  # a pid that ran and ended
    spec = dict(image=image, platform_id=platform_id, service_id="s", command=["sleep", "infinity"])
    orphan = engine.start_replica(ReplicaSpec(**spec, replica=0, owner=gone))
    kept = engine.start_replica(ReplicaSpec(**spec, replica=1, owner=gone, keep=True))
    alive = engine.start_replica(ReplicaSpec(**spec, replica=2))  # owned by this test process
    elsewhere = engine.start_replica(ReplicaSpec(**spec, replica=3, owner="another-host:1"))
    assert orphan.name in engine.sweep_orphans()
    assert sorted(r.name for r in engine.replicas(platform_id)) == sorted([kept.name, alive.name, elsewhere.name])


@pytest.mark.docker
def test_oom_kill_is_detected(builder, engine, platform_id):
    image = builder.runner_base()
    replica = engine.start_replica(ReplicaSpec(
        image=image.ref, platform_id=platform_id, service_id="hog", memory="48m",
        command=["python", "-c", "data = b'x' * (400 << 20); print('survived')"]))
    state = replica.wait(timeout=60)
    print(f"\nOOM test: {state.describe()}")
    assert state.oom_killed and state.exit_code == 137, (state, replica.logs())
    assert "survived" not in replica.logs()
    assert "OOM-killed" in state.describe()


def test_the_docker_placement_without_an_engine_is_a_clear_error_naming_the_fix(monkeypatch):
    from pytest_faas.local import LocalPlatform

    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    platform = LocalPlatform(placement="docker", bind_sdk=False)
    with pytest.raises(DockerUnavailable, match="Docker engine not running.*faas docker setup"):
        platform.start()
    assert platform.backend is None, "a platform that could not start leaves nothing running"


_BUILD_ONE = """
import json, sys
from pytest_faas.placements.docker.engine import DockerEngine
from pytest_faas.placements.docker.images import ImageBuilder
image = ImageBuilder(DockerEngine.connect(), cache=sys.argv[1]).package_image(sys.argv[2])
print(json.dumps([image.ref, image.built]))
"""


@pytest.mark.docker
def test_two_processes_build_for_two_packages_that_share_requirements(builder, engine, tmp_path):
    import subprocess
    import sys

    builder.runner_base()  # present before the race: the race is on what comes after it
    requirements = f"six\n# shared by two packages of this test only: {uuid.uuid4().hex}\n"
    folders = []
    for name in ("left", "right"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "main.py").write_text(f"NAME = {name!r}\n")
        (folder / "requirements.txt").write_text(requirements)
        folders.append(folder)
    cache = tmp_path / "cache"  # empty: the wheelhouse, the probe and the image are all to be made
    procs = [subprocess.Popen([sys.executable, "-c", _BUILD_ONE, str(cache), str(folder)], text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for folder in folders]
    outputs = [proc.communicate(timeout=600) for proc in procs]
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err[-3000:]
    results = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    try:
        assert results[0][0] == results[1][0], "two packages with one requirements.txt share an image"
        assert sorted(built for _, built in results) == [False, True], "one built it, the other waited for it"
        wheelhouse = cache / "wheelhouse"
        assert [p.name for p in wheelhouse.iterdir() if ".partial" in p.name] == []
        assert len(list(wheelhouse.glob("req-*"))) == 1
    finally:
        engine.remove_image(results[0][0])
