"""The root `faas` group: global options, the noun groups, and how errors reach the terminal.

Exit status: 0 ok; 1 a failure (a refused request, a bad file, an execution that failed); 2 a usage error.
"""

from __future__ import annotations

import click

from .. import __version__
from .common.command import to_click_error
from .common.dlp import NounGroup, refused
from .common.session import Options
from .apps import app
from .datasets import datasets
from .docker import docker
from .executions import executions
from .items import items
from .packages import packages
from .pipelines import pipelines
from .projects import projects
from .serve import serve
from .services import services
from .triggers import triggers

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 110}


class FaasGroup(NounGroup):
    """Turns deliberate refusals (ours, the platform's, dtlpy's) into one line and exit status 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except Exception as exc:  # noqa: BLE001 (to_click_error returns what it does not recognise)
            converted = to_click_error(exc)
            if converted is exc:
                raise
            if ctx.obj is not None and ctx.obj.verbose:
                import traceback  # noqa: PLC0415

                click.echo("".join(traceback.format_exception(exc)), err=True)
            raise converted from None


@click.group(cls=FaasGroup, context_settings=CONTEXT, aliases={"plugins": "packages"})
@click.option("--data-dir", default=".faas", show_default=True, envvar="FAAS_DATA_DIR",
              type=click.Path(file_okay=False),
              help="The embedded platform's store, and the checked-out project [env FAAS_DATA_DIR].")
@click.option("--url", envvar="FAAS_URL", metavar="URL",
              help="Use a running `faas serve` instead of the embedded store [env FAAS_URL].")
@click.option("--token", envvar="FAAS_TOKEN", metavar="TOKEN",
              help="Its token, as `faas serve` printed it (default: read from --data-dir) [env FAAS_TOKEN].")
@click.option("--project", metavar="NAME|ID", envvar="FAAS_PROJECT",
              help="Project to work in (default: the checked-out one) [env FAAS_PROJECT].")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@click.option("--verbose", "-v", is_flag=True, help="Show dtlpy's own log lines and full tracebacks.")
@click.version_option(__version__, "--version", "-V", prog_name="faas")
@click.pass_context
def cli(ctx: click.Context, data_dir, url, token, project, as_json, verbose):
    """Dataloop FaaS on your own machine: `dlp`'s nouns and verbs, against a local platform.

    \b
    By default every command opens the platform stored in ./.faas for as long as it runs; with --url (or
    while `faas serve` runs on the same data dir) it talks to that server instead.

    \b
    The tutorial, locally:
      faas projects create demo
      faas packages generate && faas packages push && faas packages deploy
      faas datasets create pictures
      faas items upload cat.jpg --remote-path /train     # fires the /train trigger
      faas services invoke --item-id ITEM_ID

    \b
    Apps (dataloop.json), as `dlp app`:
      faas app init && pytest --faas && faas app publish && faas app install
    """
    ctx.obj = Options(data_dir=data_dir, url=url, token=token, project=project, as_json=as_json, verbose=verbose)


for group in (projects, datasets, items, packages, services, triggers, executions, pipelines, app, serve,
              docker):
    cli.add_command(group)
refused(cli, "generate", "`faas packages generate --package-name NAME` writes the package's files")
refused(cli, "deploy", "`faas packages push` then `faas packages deploy --service-file FILE` deploys a package "
                       "and its service")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point (``faas = pytest_faas.cli:main``)."""
    cli.main(args=argv, prog_name="faas")
