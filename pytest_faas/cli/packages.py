"""`faas packages generate|push|deploy|test|ls`: the tutorial's package flow, against the local platform.

Each verb reads the package folder with the library's models and checks (`manifest`, `servicefile`,
`mockfile`, `checks`), so a mistake is reported with its file and JSON path before anything is sent, then
makes the dtlpy calls of docs/platform.md#push-and-deploy: ``project.packages.push``, ``package.deploy`` plus one
``service.triggers.create`` per trigger; `packages test` loads the folder as `pytest --faas` does
(`manifests.loaded`: every mock file, the service.json checks) and runs its cases with `cases.CaseRunner` on a
throwaway platform (its seeding replaces entities by id: never the user's).
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

import click

from ..cases import CaseRunner, check, run as run_case
from ..errors import CheckError, ExecutionFailed, ManifestError
from ..manifests.checks import check_mock, check_service, require_consistent
from ..manifests.loaded import APP_FILE, load_folder
from ..manifests.package import load_package
from ..manifests.service import load_service
from ..protocol import END_MARKER, printed_traceback
from .common import files as _files, output as _output
from .common.command import (check_out, command_options, env_file_option, options, pass_session, project_name_option,
                      read_env_file, session, set_service_env)
from .common.dlp import NounGroup, dlp_spelled_option, refused_option
from .common.progress import progress
from .common.session import quiet_dtlpy
from .triggers import TRIGGER_COLUMNS, sync_triggers


@click.group("packages", cls=NounGroup)
def packages():
    """Generate, push, deploy and test a package."""


def _src_option(func):
    return click.option("--src-path", "-src", "src_path", default=".", show_default=True,
                        type=click.Path(file_okay=False, path_type=Path), help="The package folder.")(func)


def _checkout_option(func):
    # dlp's -c/--checkout: here the last pushed package and deployed service are always remembered.
    return click.option("--checkout", "-c", is_flag=True, hidden=True, expose_value=False)(func)


def _manifest(src: Path):
    path = src / "package.json"
    if (src / APP_FILE).is_file():
        raise click.UsageError(f"{src} is an app ({APP_FILE}): use `faas app publish` and `faas app install`")
    manifest = load_package(path)
    if manifest is None:
        raise ManifestError(str(path), "modules", "the package's modules (a FaaS package.json)", None,
                            hint="run `faas packages generate` for a starting point")
    return manifest


def _require(findings) -> None:
    """Refuse on errors; show warnings and go on."""
    if any(f.severity == "error" for f in findings):
        raise CheckError(findings)
    for finding in findings:
        _output.note(f"[yellow]{finding}[/yellow]")


@packages.command("generate")
@dlp_spelled_option("--name", "--package-name", "--plugin-name", "name", dlp_only=("-p",), default="default-package",
              show_default=True, help="The package's name.")
@click.option("--service-name", default="default-service", show_default=True, help="The service's name.")
@_src_option
def generate(name, service_name, src_path):
    """Write package.json, main.py, mock.json, service.json, .gitignore, conftest.py and tests/test_main.py
    (never overwriting)."""
    written, skipped = _files.generate(src_path, name, service_name)
    for path in written:
        _output.out().print(_output.plain(f"wrote   {path}"))
    for path in skipped:
        _output.out().print(f"[yellow]skipped {_output.escape(str(path))} (it exists; remove it to regenerate)"
                            "[/yellow]")
    if written:
        _output.note("to deploy: `faas projects create NAME`, `faas packages push`, `deploy`")
        _output.note("test it first: `pytest --faas` runs tests/ and mock.json's cases")


def data_dir_inside(session, src: Path) -> None:
    """Refuse to upload the platform's own database as part of the codebase."""
    data_dir, src = session.data_dir.path, src.resolve()
    if not data_dir.is_relative_to(src) or data_dir == src:
        return
    relative = data_dir.relative_to(src).as_posix()
    ignore = src / ".gitignore"
    lines = ignore.read_text().splitlines() if ignore.is_file() else []
    if not any(line.strip().strip("/") == relative for line in lines):
        raise click.ClickException(f"the data dir {relative}/ is inside the package folder and .gitignore does not "
                                   f"exclude it, so push would upload the platform's database: add "
                                   f"`{relative}/` to {ignore}")


def _left_out(session, src: Path) -> list[str]:
    """The faas command's own data dir, as a .gitignore line, when it is inside the package folder: the tool's
    folder is never part of the codebase, and never the user's to exclude."""
    data_dir, src = session.data_dir.path.resolve(), src.resolve()
    if data_dir == src or not data_dir.is_relative_to(src):
        return []
    return [data_dir.relative_to(src).as_posix() + "/"]


@packages.command("push")
@_src_option
@dlp_spelled_option("--package-name", dlp_only=("-p",), help="Name to push as (default: package.json's name).")
@refused_option("--codebase-id", "-cid", refusal="push uploads the package folder as a new codebase; give the "
                "folder with --src-path")
@project_name_option("-pr")
@_checkout_option
@command_options
@pass_session
def push(session, src_path, package_name):
    """Check package.json against the code, then upload the package (an upsert by name)."""
    manifest = _manifest(src_path)
    _require(require_consistent(src_path, manifest))
    left_out = _left_out(session, src_path)
    project = session.project()
    with _output.err().status(f"Pushing {src_path.resolve()} ..."):
        # Packed as dtlpy's push packs it (.gitignore honoured), the data dir left out.
        codebase = project.codebases.pack(directory=str(src_path.resolve()), name=package_name or manifest.name,
                                          ignore_directories=left_out) if left_out else None
        # The checks above read the code without running it; dtlpy's own would import main.py in this process.
        package = project.packages.push(src_path=str(src_path), package_name=package_name, codebase=codebase,
                                        ignore_sanity_check=True)
    session.data_dir.remember("package", package)
    codebase = package.to_json().get("codebase") or {}
    session.data_dir.remember_source(codebase.get("itemId") or package.id, src_path)  # names the unpacked copy
    if options().as_json:
        _output.emit_json(package.to_json())
        return
    _output.out().print(f"Pushed package [bold]{_output.escape(package.name)}[/bold] version {package.version} "
                        f"({package.id}) to project {_output.escape(project.name)}")


def _runtime(spec) -> dict:
    runtime = spec.runtime.model_dump(by_alias=True, exclude_none=True, exclude={"gpu", "replicas"})
    runtime["numReplicas"] = spec.runtime.effective_replicas  # the tutorial's legacy "replicas"
    if not runtime.get("runnerImage"):
        runtime.pop("runnerImage", None)  # "" in the template: the default image
    return runtime


@packages.command("deploy")
@_src_option
@click.option("--service-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Default: service.json in the package folder.")
@dlp_spelled_option("--package-name", dlp_only=("-p",), help="Package to deploy (default: service.json's packageName).")
@click.option("--module-name", help="Module to run (default: service.json's moduleName).")
@env_file_option("Environment variables of the service's code, NAME=value lines (over service.json's \"env\"); "
                 "the service keeps them until the next deploy.")
@project_name_option("-pr")
@_checkout_option
@command_options
@pass_session
def deploy(session, src_path, service_file, package_name, module_name, env_file):
    """Deploy (create or update) the service in service.json, and its triggers."""
    spec = load_service(service_file or src_path / "service.json")
    env = {**spec.env, **read_env_file(env_file)}
    manifest = _manifest(src_path) if (src_path / "package.json").is_file() else None
    if manifest is not None:
        _require(check_service(manifest, spec))
    project = session.project()
    package = session.package(project, package_name or spec.package_name or (manifest and manifest.name))
    with _output.err().status(f"Deploying {spec.name or package.name} ..."):
        service = package.deploy(
            service_name=spec.name, revision=spec.revision, init_input=spec.init_params, runtime=_runtime(spec),
            module_name=module_name or spec.module_name, run_execution_as_process=spec.run_execution_as_process,
            execution_timeout=spec.execution_timeout, drain_time=spec.drain_time, on_reset=spec.on_reset,
            max_attempts=spec.max_attempts)
        # Exactly service.json's env and the env file's, every deploy: a variable removed from both is gone.
        set_service_env(session, service.id, env)
        triggers = sync_triggers(session.dl, service, spec.triggers)
    session.data_dir.remember("package", package)
    session.data_dir.remember("service", service)
    if options().as_json:
        _output.emit_json({"service": service.to_json(), "triggers": [t.to_json() for t, _ in triggers]})
        return
    _output.out().print(f"Deployed service [bold]{_output.escape(service.name)}[/bold] ({service.id}) running "
                        f"package {_output.escape(package.name)} {service.package_revision}, module "
                        f"{_output.escape(service.module_name)}")
    columns = [(name, lambda pair, get=get: get(pair[0])) for name, get in TRIGGER_COLUMNS]
    _output.table(triggers, columns + [("", lambda pair: pair[1])], title="triggers", empty="no triggers")


def _run_in_process(session, src: Path, mock_path: Path, concurrency: int, function_name: str) -> None:
    """dlp's way: import main.py here and call the function (`test_local_package`); nothing is recorded."""
    project = session.project()
    sys.path.insert(0, str(src))
    try:
        result = project.packages.test_local_package(
            cwd=str(src), concurrency=concurrency, function_name=function_name,
            mock_file_path=os.path.relpath(mock_path.resolve(), src))
    except Exception as exc:  # the user's code failed: show their frames, not ours or dtlpy's
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).resolve().is_relative_to(src)]
        text = "".join(traceback.format_list(frames)) + "".join(traceback.format_exception_only(type(exc), exc))
        _output.err().print(text.rstrip(), markup=False, highlight=False)
        raise click.ClickException(f"packages test failed: {type(exc).__name__}: {exc}") from None
    finally:
        sys.path.remove(str(src))
    if options().as_json:
        _output.emit_json([{"case": 0, "status": "success", "output": result}])
    else:
        _output.out().print(f"[green]success[/green]  output: {result!r}")


@packages.command("test")
@_src_option
@click.option("--mock-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Run only this mock file's cases. Default: every mock file, mock.json and mocks/*.json "
                   "(with --in-process: mock.json).")
@click.option("--placement", type=click.Choice(["thread", "subprocess", "docker"]), default="thread",
              show_default=True, help="Where the runner agent runs the code (docker: in a container built from "
                                      "the service's runnerImage and requirements.txt).")
@click.option("--in-process", is_flag=True,
              help="Run like `dlp packages test` instead: import the code here and call it, on the current "
                   "platform's data, with no execution records.")
@click.option("--concurrency", "-c", type=click.IntRange(min=1), default=10, show_default=True,
              help="With --in-process: threads for a list-of-lists mock.json.")
@click.option("--function-name", "-f", default="run", show_default=True,
              help="With --in-process: function to run (mock.json's function_name wins, as in dlp).")
@command_options
def test(src_path, mock_file, placement, in_process, concurrency, function_name):
    """Run the mock files' input sets as executions and check them; exit 1 if any fails.

    \b
    The package is read and checked as `pytest --faas` reads it: package.json against the code, service.json
    and every mock file (mock.json, then mocks/*.json) against package.json, all problems reported at once.
    Each input set then runs as `pytest --faas` runs it: on a throwaway platform (your data dir is not
    touched), through the runner agent, with the ids the mock names seeded as placeholder items and datasets
    (or as the mock's own `items`/`datasets`), checked against its `expect` (default: status success).
    """
    if in_process and (src_path / APP_FILE).is_file():
        raise click.UsageError("--in-process runs a package.json package; an app's cases run on the installed app")
    if in_process:
        return _test_in_process(src_path, mock_file or src_path / "mock.json", concurrency, function_name)
    package = _loaded(src_path, [mock_file] if mock_file else None)  # paths as given: messages name them so
    from ..local import LocalPlatform  # noqa: PLC0415 (heavy)

    results, failures = [], []
    cases = package.cases()
    with progress("starting a throwaway platform ...", len(cases), builds=placement == "docker") as steps, \
            quiet_dtlpy(options().verbose), LocalPlatform(placement=placement, durable=False) as platform:
        runner = CaseRunner(platform, placement)
        try:
            for case in cases:
                label = f"{case.mock_label}[{case.case.index}] {case.function_label}"
                steps.describe(f"running {label} ...")
                outcome = run_case(runner, package, case)
                steps.advance()
                try:
                    check(outcome, case.case.expect, placement, label)
                except ExecutionFailed as exc:
                    failures.append((label, exc))
                results.append((label, outcome))
        finally:
            runner.close()
    _report_cases(results, failures)
    if failures:
        raise click.ClickException(f"{len(failures)} of {len(results)} mock cases failed")


_TEMPLATE_ID_HINT = ("any id will do, e.g. \"cat-1\": a placeholder item is made with it; or declare it under "
                     "\"items\"")


def _loaded(src: Path, mocks: list[Path] | None):
    """The package as `pytest --faas` loads and checks it, refused with every error at once; warnings shown."""
    app = (src / APP_FILE).is_file()  # an app's folder: dataloop.json, never the npm package.json beside it
    # An app's .dataloop.cfg is looked for up to the folder the command runs in, as pytest looks up to its rootdir.
    cwd = Path.cwd()
    package = load_folder(src / (APP_FILE if app else "package.json"), mocks,
                          stop=cwd if src.resolve().is_relative_to(cwd) else None)
    if package is None:
        _manifest(src)  # raises: an npm package.json, not a FaaS package
    problems = list(package.errors())
    for mock_path, _ in package.mocks:
        try:  # the template's empty item id, refused before it becomes a bare 404 on GET /items/
            _files.check_mock_file(mock_path, hint=_TEMPLATE_ID_HINT)
        except ManifestError as exc:
            problems.append(exc)
    if problems:
        raise CheckError(problems)
    if not package.mocks:
        raise click.ClickException(f"no mock file in {src}: write mock.json (or mocks/*.json), e.g. with "
                                   "`faas packages generate`")
    _require(package.warnings())
    return package


def _test_in_process(src_path: Path, mock_path: Path, concurrency: int, function_name: str) -> None:
    manifest = _manifest(src_path)
    mock = _files.check_mock_file(mock_path, hint="upload one with `faas items upload FILE` and paste the id it "
                                                  "prints")
    _require(check_mock(manifest, mock))
    return _run_in_process(session(), src_path.resolve(), mock_path, concurrency, function_name)


def _report_cases(results, failures) -> None:
    failed = dict(failures)
    if options().as_json:
        _output.emit_json([{"case": label, "result": "failed" if label in failed else "passed", "status": o.status,
                            "output": o.execution.get("output"), "execution": o.execution.get("id"),
                            "duration": o.user_s} for label, o in results])
        return
    # "result" is the case's verdict against its expect; "status" the execution's own end, which is success
    # for a case whose output or platform state was wrong.
    _output.table(results, [
        ("case", lambda r: r[0]), ("result", lambda r: _output.status_text("failed" if r[0] in failed else "passed")),
        ("status", lambda r: _output.status_text(r[1].status)),
        ("output", lambda r: r[1].execution.get("output")), ("execution", lambda r: r[1].execution.get("id")),
        ("s", lambda r: f"{r[1].user_s:.3f}"), ("", lambda r: failed[r[0]].reason if r[0] in failed else "")])
    for label, exc in failures:  # each piece once: the reason, the traceback, the rest of the log
        message = (exc.execution.get("latestStatus") or {}).get("message") or ""
        shown = printed_traceback(message)
        _output.err().print(f"[red]{_output.escape(exc.reason)}[/red]", highlight=False)
        if shown:
            _output.err().print(shown, markup=False, highlight=False)
        for line in exc.logs:
            if line not in (message, shown, END_MARKER):
                _output.err().print(f"  {line}", markup=False, highlight=False)


@packages.command("ls")
@project_name_option("-p")
@command_options
@pass_session
def ls(session):
    """List the project's packages; * marks the checked-out one."""
    project = session.project()
    current = (session.data_dir.current("package") or {}).get("id")
    _output.table(project.packages.list().all(),
                  [("", lambda p: "*" if p.id == current else ""), ("name", lambda p: p.name),
                   ("id", lambda p: p.id), ("version", lambda p: p.version),
                   ("modules", lambda p: ",".join(m.name for m in p.modules)),
                   ("created", lambda p: _output.when(p.created_at))],
                  as_json=options().as_json, to_json=lambda p: p.to_json(),
                  empty="no packages: run `faas packages push` in a package folder")


@packages.command("checkout")
@click.argument("name", required=False)
@dlp_spelled_option("--package-name", "name_option", dlp_only=("-p",), metavar="NAME", help="The package, as dlp spells it.")
@command_options
@pass_session
def checkout(session, name, name_option):
    """Make NAME the package that `deploy` and `triggers create --package-name` default to."""
    name = name or name_option
    if not name:
        raise click.UsageError("give the package: `faas packages checkout NAME` or --package-name NAME")
    package = session.package(session.project(), name)
    check_out(session, "package", package)


@packages.command("delete")
@click.argument("name", required=False)
@click.option("--package-name", "-pkg", "name_option", metavar="NAME",
              help="The package (default: the last pushed one), as dlp spells it.")
@project_name_option("-p")
@command_options
@pass_session
def delete(session, name, name_option):
    """Delete a package (default: the last pushed one) and, as the platform does, the services that run it."""
    project = session.project()
    package = session.package(project, name or name_option)
    running = [s for s in project.services.list().all() if s.package_id == package.id]
    package.delete()
    for kind, gone in (("package", {package.id}), ("service", {s.id for s in running})):
        if (session.data_dir.current(kind) or {}).get("id") in gone:
            session.data_dir.forget(kind)
    also = f" and its service(s) {', '.join(s.name for s in running)}" if running else ""
    _output.out().print(_output.plain(f"Deleted package {package.name} ({package.id}){also}"))
