"""`faas docker setup|prune`: what the docker placement needs, and cleaning up after it.

`setup` runs the script that ships inside the package (``placements/docker/docker-engine.sh``), so a user who
installed pytest-faas from PyPI gets the same engine and base image as a checkout's CI does. `prune`
removes what content-hashed builds leave behind as packages and pytest-faas change.
"""

from __future__ import annotations

import subprocess

import click

from .common import output as _output


@click.group("docker")
def docker() -> None:
    """Prepare and clean up the Docker engine that `--placement docker` runs functions on."""


@docker.command("setup")
def setup() -> None:
    """Start a Docker engine if none answers, and build the base image without a registry.

    \b
    Idempotent: what is already there is left as it is. As root on Debian or Ubuntu it installs docker.io
    and debootstrap when they are missing and starts dockerd in the background; the base image
    pytest-faas/python:bookworm (or $FAAS_BASE_IMAGE) is built with debootstrap, about a minute the
    first time. Elsewhere it says what it could not do.
    """
    from ..placements.docker.images import SETUP_SCRIPT  # noqa: PLC0415 (only this command needs it)

    # The script speaks for itself, line by line, on this terminal.
    code = subprocess.call(["bash", str(SETUP_SCRIPT)], stdin=subprocess.DEVNULL)
    if code != 0:
        raise click.ClickException(f"{SETUP_SCRIPT.name} exited with status {code} (its last lines say why)")


@docker.command("prune")
@click.option("--all", "everything", is_flag=True,
              help="Also remove the dependency layers (dtlpy and the rest: about a minute to build again).")
def prune(everything: bool) -> None:
    """Remove pytest-faas's leftover containers and images; keep the base and the current runner image.

    \b
    Removed: containers of runs whose process is gone (unless kept with --faas-keep), package images,
    and runner images of other pytest-faas versions. Kept: the base image, the dependency layers (unless
    --all), and any image a container still uses.
    """
    from ..placements.docker.engine import DockerEngine  # noqa: PLC0415 (the docker SDK, only when asked)
    from ..placements.docker.images import ImageBuildError, ImageBuilder  # noqa: PLC0415

    engine = DockerEngine.connect()
    try:
        containers = engine.sweep_orphans()
        builder = ImageBuilder(engine)
        try:
            current = builder.runner_ref()
        except ImageBuildError:  # no base image: nothing of ours is current
            current = None
        kinds = ("package", "runner", "runner-deps") if everything else ("package", "runner")
        images = builder.prune(keep=(current,) if current and engine.image_id(current) else (), kinds=kinds)
    finally:
        engine.close()
    out = _output.out()
    out.print(f"removed {len(containers)} container(s) of finished runs and {len(images)} image(s)")
    for name in [*containers, *images]:
        out.print(f"  {name}")
