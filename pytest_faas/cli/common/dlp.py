"""dlp's spellings: the click classes every `faas` group uses, and refusals that name the `faas` way.

`dlp` (dtlpy's argparse CLI) spells some short options with several letters (``-pr``, ``-as``, ``-ow``,
``-lap``). click reads an undeclared ``-as`` as ``-a s``, which silently runs something else; `NounCommand`
refuses any such token instead, naming the options that do exist. A dlp command or option that has no
meaning locally is still declared, as a `refused` command or a `RefusedOption`, so that it fails with a
message that says what to type instead; `dlp_table` reads these to build the docs' table.
"""

from __future__ import annotations

import difflib
import re

import click

# A single-dash token of two or more letters: dlp's multi-letter short options, or click's `-a s` cluster.
_RUN_TOGETHER = re.compile(r"^-[A-Za-z][A-Za-z0-9-]+$")


def _option_names(command: click.Command, ctx: click.Context) -> dict[str, bool]:
    """Every option spelling of the command -> whether it takes a value."""
    names = {}
    for param in command.get_params(ctx):
        if isinstance(param, click.Option):
            takes_value = not param.is_flag and not param.count
            for name in param.opts + param.secondary_opts:
                names[name] = takes_value
    return names


def refuse_run_together(command: click.Command, ctx: click.Context, args: list[str], *, stop_at_positional: bool):
    """UsageError for ``-xy`` that is no declared option, instead of click's reading it as ``-x y``."""
    names = _option_names(command, ctx)
    skip = False
    for token in args:
        if skip:
            skip = False
            continue
        if token == "--":
            return
        if token in names:
            skip = names[token]
            continue
        if not token.startswith("-"):
            if stop_at_positional:
                return
            continue
        if _RUN_TOGETHER.match(token) and token.split("=", 1)[0] not in names:
            close = difflib.get_close_matches(token, list(names), n=3, cutoff=0.5)
            hint = f"; did you mean {' or '.join(close)}?" if close else f"; see `{ctx.command_path} --help`"
            raise click.UsageError(f"no such option {token} (faas never reads it as {token[:2]} "
                                   f"{token[2:]!r}){hint}", ctx=ctx)


class NounCommand(click.Command):
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        refuse_run_together(self, ctx, args, stop_at_positional=False)
        return super().parse_args(ctx, args)


class NounGroup(click.Group):
    """A group whose commands refuse run-together short options, and that knows old names (``aliases``)."""

    command_class = NounCommand
    group_class = type  # subgroups are NounGroups too
    aliases: dict[str, str] = {}

    def __init__(self, *args, aliases: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.aliases = dict(aliases or {})

    def get_command(self, ctx: click.Context, cmd_name: str):
        return super().get_command(ctx, self.aliases.get(cmd_name, cmd_name))

    def resolve_command(self, ctx: click.Context, args: list[str]):
        name, command, rest = super().resolve_command(ctx, args)
        return (command.name if command is not None else name), command, rest

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        refuse_run_together(self, ctx, args, stop_at_positional=True)
        return super().parse_args(ctx, args)

    def format_commands(self, ctx: click.Context, formatter) -> None:
        super().format_commands(ctx, formatter)
        if self.aliases:
            with formatter.section("Also accepted (dlp's names)"):
                formatter.write_dl([(old, f"= {new}") for old, new in sorted(self.aliases.items())])


def refused(group: click.Group, name: str, message: str) -> click.Command:
    """A dlp command that has no local meaning: whatever options it is given, it says what to do instead."""

    def callback():
        words = name if group.name == "cli" else f"{group.name} {name}"
        raise click.UsageError(f"`dlp {words}` has no local equivalent: {message}")

    command = click.Command(name, callback=callback, hidden=True, add_help_option=False,
                            context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
                            help=f"Not available locally: {message}")
    command.refusal = message
    group.add_command(command)
    return command


class RefusedOption(click.Option):
    """A dlp option that has no local meaning: giving it fails with ``refusal``, which names the faas way."""

    def __init__(self, param_decls, refusal: str, is_flag: bool = False, **kwargs):
        self.refusal = refusal

        def callback(ctx, param, value):
            if value not in (None, False, ()):
                raise click.UsageError(f"{param.opts[0]} is not supported here: {refusal}", ctx=ctx)
            return value
        super().__init__(param_decls, is_flag=is_flag, expose_value=False, callback=callback,
                         help=f"Not supported: {refusal}", **kwargs)


def refused_option(*spellings: str, refusal: str, is_flag: bool = False):
    return click.option(*spellings, cls=RefusedOption, refusal=refusal, is_flag=is_flag)


class DlpSpelledOption(click.Option):
    """An option that also takes a short form dlp gives it, where that letter means something else in the rest
    of faas (dlp's ``-f`` is ``--service-name`` in ``services log`` and ``--function-name`` in ``services
    execute``; its ``-p`` a package in ``packages push`` and a project elsewhere). The dlp spelling keeps
    working, so a dlp command line runs as it is, and the help shows only the letter that means the same
    thing in every faas command."""

    def __init__(self, param_decls, dlp_only: tuple[str, ...] = (), **kwargs):
        super().__init__(param_decls, **kwargs)
        self.dlp_only = tuple(dlp_only)

    def get_help_record(self, ctx: click.Context):
        kept = self.opts
        self.opts = [spelling for spelling in kept if spelling not in self.dlp_only]
        try:
            record = super().get_help_record(ctx)
        finally:
            self.opts = kept
        if record is None:
            return None
        return record[0], f"{record[1]} ({', '.join(self.dlp_only)}: dlp's spelling, accepted)".lstrip()


def dlp_spelled_option(*spellings: str, dlp_only: tuple[str, ...], **kwargs):
    """`click.option` with `DlpSpelledOption`: ``dlp_only`` are accepted and left out of the help."""
    return click.option(*spellings, *dlp_only, cls=DlpSpelledOption, dlp_only=dlp_only, **kwargs)
