"""`faas app init|pack|publish|install|list|update|uninstall`: as `dlp app`, with dlp's option spellings.

An app is a folder with dataloop.json at its root. `publish` checks dataloop.json against the code first
(the same checks as `pytest --faas`), then publishes through `project.dpks.publish`; `install` installs a
published DPK into the project through `project.apps.install`, which creates the app's services and triggers.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import click

from ..errors import CheckError, ManifestError
from ..manifests.app import load_app
from ..manifests.app_checks import check_app
from .common import output as _output
from .common.command import command_options, options, pass_session
from .packages import data_dir_inside
from .packages import test as packages_test

# Template file -> where `faas app init` writes it (`.gitignore` is stored without its dot, see _files.py).
TEMPLATES = {"dataloop.json": "dataloop.json", "main.py": "functions/main.py", "mock.json": "mock.json",
             "gitignore": ".gitignore"}


@click.group("app")
def app():
    """Initialize, check, publish and install apps (dataloop.json)."""


def _src_option(func):
    return click.option("--src-path", "-src", "src_path", default=".", show_default=True,
                        type=click.Path(file_okay=False, path_type=Path), help="The app folder.")(func)


def _project_options(func):
    func = click.option("--project-id", help="The id of the project (dlp's spelling; or --project).")(func)
    return click.option("--project-name", help="The name of the project (dlp's spelling; or --project).")(func)


def _project(session, project_name: str | None, project_id: str | None):
    return session.project(project_id or project_name)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "my-app"


@app.command("init")
@click.option("--name", help="The app's name (default: the folder's name).")
@click.option("--description", default="", help="The app's description.")
@click.option("--attributes", help="The app's attributes, a JSON object.")
@click.option("--icon", help="The app's icon.")
@click.option("--scope", default="project", show_default=True, help="The app's scope.")
@_src_option
def init(name, description, attributes, icon, scope, src_path):
    """Write dataloop.json, functions/main.py, mock.json and .gitignore: a small app that passes `pytest --faas`."""
    name = _slug(name or src_path.resolve().name)
    values = {"{{app_name}}": name, "{{display_name}}": name.replace("-", " ").title(),
              "{{description}}": json.dumps(description)[1:-1], "{{module_name}}": name.replace("-", "_")}
    src_path.mkdir(parents=True, exist_ok=True)
    folder = resources.files("pytest_faas") / "templates" / "app"
    written = []
    for source, target in TEMPLATES.items():
        path = src_path / target
        if path.exists():
            _output.out().print(f"[yellow]skipped {path} (it exists; remove it to regenerate)[/yellow]")
            continue
        text = (folder / source).read_text(encoding="utf-8")
        for key, value in values.items():
            text = text.replace(key, value)
        if source == "dataloop.json":
            text = _with_options(text, attributes, icon, scope)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8") as handle:
            handle.write(text)
        written.append(path)
        _output.out().print(f"wrote   {path}")
    (src_path / "panels").mkdir(exist_ok=True)  # where `dlp app init` expects panels
    if written:
        _output.note("next: `pytest --faas`, then `faas projects create NAME`, `faas app publish`, `faas app install`")


def _with_options(text: str, attributes: str | None, icon: str | None, scope: str) -> str:
    document = json.loads(text)
    if attributes:
        try:
            document["attributes"] = json.loads(attributes)
        except ValueError:
            raise ManifestError("--attributes", "", "a JSON object", attributes) from None
        if not isinstance(document["attributes"], dict):
            raise ManifestError("--attributes", "", "a JSON object", document["attributes"])
    if icon:
        document["icon"] = icon
    document["scope"] = scope
    return json.dumps(document, indent=2) + "\n"


@app.command("pack")
@_src_option
@pass_session
def pack(session, src_path):
    """Zip the app folder into ./.dataloop/<name>_<version>.dpk (as `dlp app pack`)."""
    manifest = load_app(src_path / "dataloop.json")
    path = session.dl.dpks.pack(directory=str(src_path.resolve()), name=manifest.name)
    _output.out().print(f"Packed to {path}")


@app.command("test")
@_src_option
@click.option("--mock-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Run only this mock file's cases. Default: mock.json and mocks/*.json beside dataloop.json.")
@click.option("--placement", type=click.Choice(["thread", "subprocess", "docker"]), default="thread",
              show_default=True, help="Where the runner agent runs the code.")
@command_options
@click.pass_context
def test(ctx, src_path, mock_file, placement):
    """Run the app's mock files on the installed app, as `pytest --faas` does; exit 1 if any case fails.

    The same as `faas packages test` in the app's folder.
    """
    ctx.invoke(packages_test, src_path=src_path, mock_file=mock_file, placement=placement)


@app.command("publish")
@_src_option
@_project_options
@command_options
@pass_session
def publish(session, src_path, project_name, project_id):
    """Check dataloop.json against the code, then publish the app (its folder is the codebase)."""
    manifest = load_app(src_path / "dataloop.json")
    findings = check_app(src_path, manifest)
    if any(f.severity == "error" for f in findings):
        raise CheckError(findings)
    for finding in findings:
        _output.err().print(f"[yellow]{finding}[/yellow]", highlight=False)
    data_dir_inside(session, src_path)
    project = _project(session, project_name, project_id)
    dl = session.dl
    document = dict(manifest.document)
    if manifest.codebase is not None and manifest.codebase.type != "item":
        _output.note(f"dataloop.json names a {manifest.codebase.type} codebase; the local platform runs the "
                     "folder's own code, so the folder is published as the codebase")
        document.pop("codebase")
    with _output.err().status(f"Publishing {src_path.resolve()} ..."):
        dpk = dl.Dpk.from_json(_json=document, client_api=dl.client_api, project=project)
        dpk = project.dpks.publish(dpk=dpk, local_path=str(src_path.resolve()))
    session.data_dir.remember("dpk", dpk)
    if options().as_json:
        _output.emit_json(dpk.to_json())
        return
    _output.out().print(f"Published the application [bold]{dpk.name}[/bold] version {dpk.version}: id={dpk.id}")


@app.command("install")
@click.option("--dpk-id", help="The id of the dpk (default: the last one published here).")
@click.option("--dpk-name", help="Or its name (its latest version).")
@click.option("--app-name", help="The installed app's name (default: the dpk's display name).")
@click.option("--org-id", help="The organization (kept on the app).")
@_project_options
@command_options
@pass_session
def install(session, dpk_id, dpk_name, app_name, org_id, project_name, project_id):
    """Install a published app into the project: its services, triggers and pipeline nodes."""
    project = _project(session, project_name, project_id)
    if dpk_id is None and dpk_name is None:
        last = session.data_dir.current("dpk")
        if last is None:
            raise click.UsageError("give --dpk-id (or --dpk-name), or run `faas app publish` first")
        dpk_id = last["id"]
    dpk = project.dpks.get(dpk_id=dpk_id) if dpk_id else project.dpks.get(dpk_name=dpk_name)
    installed = project.apps.install(dpk=dpk, app_name=app_name, organization_id=org_id)
    services = [s for s in project.services.list().all() if (s.app or {}).get("id") == installed.id]
    if options().as_json:
        _output.emit_json(installed.to_json())
        return
    _output.out().print(f"Installed app [bold]{installed.name}[/bold] ({installed.id}) from {dpk.name} {dpk.version}")
    _output.table(services, [("service", lambda s: s.name), ("id", lambda s: s.id), ("module", lambda s: s.module_name)],
                  title="services", empty="no services (no module names a compute config)")


@app.command("list")
@_project_options
@command_options
@pass_session
def list_apps(session, project_name, project_id):
    """List the project's installed apps."""
    project = _project(session, project_name, project_id)
    _output.table(project.apps.list().all(),
                  [("name", lambda a: a.name), ("id", lambda a: a.id), ("dpk", lambda a: a.dpk_name),
                   ("version", lambda a: a.dpk_version), ("status", lambda a: a.status)],
                  as_json=options().as_json, to_json=lambda a: a.to_json(),
                  empty="no apps installed: run `faas app publish` then `faas app install`")


def _installed(project, app_name: str | None, app_id: str | None):
    if app_id:
        return project.apps.get(app_id=app_id)
    if app_name:
        return project.apps.get(app_name=app_name)
    raise click.UsageError("give --app-name (or --app-id)")


@app.command("update")
@click.option("--app-name", help="Locates the app by its name.")
@click.option("--app-id", help="Or by its id.")
@click.option("--new-version", required=True, help="The published version to run.")
@_project_options
@command_options
@pass_session
def update(session, app_name, app_id, new_version, project_name, project_id):
    """Move an installed app to another published version (its services are recreated from it)."""
    installed = _installed(_project(session, project_name, project_id), app_name, app_id)
    installed.dpk_version = new_version
    installed.update()
    _output.out().print(f"App [bold]{installed.name}[/bold] now runs {installed.dpk_name} {new_version}")


@app.command("uninstall")
@click.option("--app-name", help="Locates the app by its name.")
@click.option("--app-id", help="Or by its id.")
@_project_options
@command_options
@pass_session
def uninstall(session, app_name, app_id, project_name, project_id):
    """Uninstall an app: its services, triggers and pipeline nodes go with it."""
    installed = _installed(_project(session, project_name, project_id), app_name, app_id)
    installed.uninstall()
    _output.out().print(f"Uninstalled app [bold]{installed.name}[/bold] ({installed.id})")
