"""Glue shared by the noun groups: the session of the running command, per-command options, errors."""

from __future__ import annotations

import functools
import os
import re
import time
from pathlib import Path

import click

from ...errors import FaasError
from . import output as _output
from .session import Options, Session, status_of

_SESSION = "faas.session"


def session() -> Session:
    """The command's session, opened on first use and closed when the command ends."""
    root = click.get_current_context().find_root()
    current = root.meta.get(_SESSION)
    if current is None:
        current = root.meta[_SESSION] = Session(root.obj)
        root.call_on_close(current.close)
    return current


def options() -> Options:
    return click.get_current_context().find_root().obj


def _set_root(name: str):
    def callback(ctx: click.Context, param: click.Parameter, value):
        if value not in (None, False):
            setattr(ctx.find_root().obj, name, value)
        return value
    return callback


def command_options(func):
    """``--project`` and ``--json`` accepted after the verb too (`faas items ls --project demo`)."""
    func = click.option("--json", "as_json", is_flag=True, expose_value=False, callback=_set_root("as_json"),
                        help="Print JSON instead of tables.")(func)
    func = click.option("--project", "project", metavar="NAME|ID", expose_value=False,
                        callback=_set_root("project"),
                        help="Project to work in (default: the checked-out one).")(func)
    return func


def project_name_option(short: str | None):
    """dlp's ``--project-name`` with the short form that dlp gives it in this command (``-p`` or ``-pr``)."""
    spellings = ["--project-name"] + ([short] if short else [])
    return click.option(*spellings, "project_name", metavar="NAME|ID", expose_value=False,
                        callback=_set_root("project"), help="Project to work in, as dlp spells it (= --project).")


def checked_out_dataset(session: Session, name_or_id: str | None) -> str | None:
    """The dataset given, else the one `faas datasets checkout` (or `create --checkout`) remembered."""
    if name_or_id:
        return name_or_id
    checked_out = session.data_dir.current("project") or {}
    if options().project not in (None, checked_out.get("name"), checked_out.get("id")):
        return None  # the checkout belongs to another project
    return (session.data_dir.current("dataset") or {}).get("id")


# A runner imports the pushed code from its own unpacked copy, ``.../code/<codebase id>-<md5>/``, under a
# private module name ``_faas_<id>.main``; shown to a person, both point back to what they wrote.
_UNPACKED = re.compile(r'(?P<lead>File ")[^"]*[/\\]code[/\\](?P<codebase>[0-9a-f]+)-[0-9a-f]+[/\\]')
_LOADED_MODULE = re.compile(r"\b_faas_[0-9a-f]+\.")


def readable(text: str) -> str:
    """A traceback or log line with paths in the package folder it was pushed from, and module names as
    the author wrote them."""
    sources = session().data_dir.sources()

    def home(match: re.Match) -> str:
        folder = sources.get(match["codebase"])
        return f'{match["lead"]}{folder}{os.sep}' if folder else match[0]
    return _LOADED_MODULE.sub("", _UNPACKED.sub(home, text))


def pass_session(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(session(), *args, **kwargs)
    return wrapper


# A 404 for one of these names the command that lists what does exist (the platform's message names only
# what was asked for).
_LISTED = (("Project", "projects"), ("Dataset", "datasets"), ("Item", "items"), ("Package", "packages"),
           ("Service", "services"), ("Trigger", "triggers"), ("Execution", "executions"))


def to_click_error(exc: BaseException) -> BaseException:
    """The one-line error a person sees for a refusal (ours, the platform's, dtlpy's); other errors as-is."""
    if isinstance(exc, (click.ClickException, click.exceptions.Exit, click.Abort)):
        return exc
    if isinstance(exc, FaasError):
        return click.ClickException(str(exc))
    module = type(exc).__module__ or ""
    if module.startswith("dtlpy.exceptions"):
        status = getattr(exc, "status_code", "")
        message = str(getattr(exc, "message", "") or exc)
        if status == "404" and "no such endpoint" in message:
            return click.ClickException(
                f"the local platform does not emulate {message.split(': ', 1)[-1]} (only the data-plane and FaaS "
                "endpoints the tutorial's flows use)")
        if status == "600":  # dtlpy's own verdict, before any request: not a JWT, or expired
            return click.ClickException("dtlpy finds the token expired or malformed: pass the token `faas serve` "
                                        "printed with --token or FAAS_TOKEN")
        if status == "401":
            return click.ClickException(f"the platform refused the token ({message}): pass the token `faas "
                                        "serve` printed with --token or FAAS_TOKEN")
        hint = next((f" (`faas {noun} ls` lists what there is)" for entity, noun in _LISTED
                     if status == "404" and message.startswith(f"{entity} not found")), "")
        return click.ClickException(f"platform error {status}: {message}{hint}" if status else message)
    if type(exc).__name__ == "ConnectionError" and module.startswith(("requests", "urllib3")):
        url = options().url if click.get_current_context(silent=True) else None
        return click.ClickException(f"cannot reach the platform{f' at {url}' if url else ''}: is `faas serve` "
                                    f"running there? ({exc})")
    if isinstance(exc, ValueError) and "conflicts between modules and source code" in str(exc):
        return click.ClickException(f"package.json and the code disagree: {exc}")
    return exc


def wait_options(default: bool | None):
    """``--wait/--no-wait`` and ``--timeout`` for commands that start executions.

    ``default=None``: wait in embedded mode, where the executions can run only while the command does.
    """
    def decorate(func):
        func = click.option("--timeout", type=click.FloatRange(min=0), default=300.0, show_default=True,
                            metavar="SECONDS", help="Stop waiting after this long (the executions go on).")(func)
        help_text = ("Wait for the executions to end (default: yes)." if default else
                     "Wait for the executions this command starts (default: in embedded mode, where they run "
                     "only while the command does; not with --url).")
        return click.option("--wait/--no-wait", default=default, help=help_text)(func)
    return decorate


def await_caused(session: Session, project, wait: bool | None, timeout: float) -> list:
    """Show the executions this command caused (item triggers, ...), waiting for their end if asked.

    Executions those executions cause in turn (a function that uploads an item another trigger watches)
    are followed too. Returns their last records; raises ClickException (exit 1) if any of them failed.
    """
    wait = session.embedded if wait is None else wait
    deadline = time.monotonic() + timeout
    seen: dict[str, object] = {}
    while True:
        new = [e for e in session.executions_since(project, session.started) if e.id not in seen]
        if not new:
            break
        if wait:
            new = _output.follow(session.poll([e.id for e in new], max(0.0, deadline - time.monotonic())),
                                 "executions", options().as_json)
        seen.update((e.id, e) for e in new)
        if not wait or time.monotonic() >= deadline:
            break
    records = list(seen.values())
    if not records:
        return []
    if not wait and session.embedded:
        _output.note(f"{len(records)} execution(s) queued; they run the next time a faas command or `faas serve` "
                     "runs on this data dir")
    if not options().as_json:
        _output.err().print(_output.execution_table(records, title="executions started"))
    failed = [e for e in records if status_of(e) in ("failed", "system-failure", "aborted")]
    if failed:
        raise click.ClickException(f"{len(failed)} of {len(records)} executions failed; see "
                                   f"`faas executions get {failed[0].id}` and `faas services logs`")
    return records


def check_out(session, kind: str, entity) -> None:
    """Make ``entity`` the current one of its ``kind`` (project, dataset, package) in the data dir, and say so."""
    session.data_dir.remember(kind, entity)
    _output.out().print(f"Checked out {kind} [bold]{_output.escape(entity.name)}[/bold] ({entity.id})")


def env_file_option(help_text: str):
    """``--env-file FILE``: NAME=value lines (see manifests/envfile.py), read into a dict by the command."""
    def decorate(func):
        return click.option("--env-file", "env_file", type=click.Path(dir_okay=False, path_type=Path),
                            metavar="FILE", help=help_text)(func)
    return decorate


def read_env_file(path: Path | None) -> dict[str, str]:
    """The variables of ``--env-file`` ({} without one); a bad file is a usage error naming its lines."""
    if path is None:
        return {}
    from ...errors import ManifestError, ManifestErrors  # noqa: PLC0415
    from ...manifests.envfile import load_env_file  # noqa: PLC0415

    try:
        return load_env_file(path)
    except (ManifestError, ManifestErrors) as exc:
        raise click.UsageError(f"--env-file: {exc}") from None


def set_service_env(session: Session, service_id: str, env: dict[str, str], merge: bool = False) -> dict:
    """Give a service these variables (``merge``: over the ones it has); its replicas restart if they changed."""
    from ...runner.client import PlatformClient  # noqa: PLC0415

    client = PlatformClient(session.url, session.token)
    try:
        path = f"/_faas/services/{service_id}/env"
        if merge:
            env = {**client.get(path)["env"], **env}
        return client.call("PUT", path, {"env": env})["env"]
    finally:
        client.close()
