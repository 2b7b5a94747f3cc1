"""dlp's spellings: the docs' table is what both parsers say, and every command in it runs against the platform.

`pytest_faas.cli.dlp_table` reads dtlpy's own argparse parser; these tests fail when dtlpy grows a command
or option that `faas` neither accepts nor refuses, when the docs' table is stale, and when a command of the
table does not do what it says on a real local platform (embedded mode, the real dtlpy client).
"""

from __future__ import annotations

import json
import shlex

import pytest

from pytest_faas.cli.dlp_table import DOC, rows, render_doc

TABLE = rows()
COMMANDS = {r.dlp: r for r in TABLE if r.option is None}


def test_every_dlp_command_and_option_is_accepted_or_refused():
    missing = [f"dlp {' '.join(r.dlp)} {r.option or ''}" for r in TABLE if r.status == "missing"]
    assert missing == []
    # the ones the issue was filed for
    spelled = {(r.dlp, r.short) for r in TABLE if r.status == "same"}
    for path, short in [(("items", "upload"), "-l"), (("items", "upload"), "-ow"), (("items", "upload"), "-lap"),
                        (("services", "execute"), "-as"), (("services", "execute"), "-pr"),
                        (("triggers", "create"), "-f"), (("datasets", "create"), "-c")]:
        assert (path, short) in spelled


def test_the_docs_table_is_generated_from_both_parsers():
    text = DOC.read_text()
    assert render_doc(text, TABLE) == text, "run `python -m pytest_faas.cli.dlp_table` to regenerate docs/cli.md"


class Transcript:
    """Runs `faas` with dlp's words and records which commands and options of the table it used."""

    def __init__(self, faas):
        self.faas = faas
        self.used: set[tuple] = set()

    def __call__(self, line: str, code: int = 0):
        argv = shlex.split(line)
        path = tuple(argv[:1]) if (argv[0],) in COMMANDS else tuple(argv[:2])
        assert path in COMMANDS, line
        self.used.add(path)
        self.used.update((path, word) for word in argv if word.startswith("-"))
        return self.faas(argv, code=code)


def _ids(result) -> list[dict]:
    return json.loads(result.stdout)


def test_every_command_of_the_table_runs_against_the_platform(faas, tmp_path):
    dlp = Transcript(faas)
    faas("packages generate --plugin-name demo-pkg")
    (tmp_path / "cat.jpg").write_bytes(b"\xff\xd8\xff\xe0 not much of a picture")
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "cat.json").write_text(json.dumps({"annotations": []}))

    dlp("projects create -p demo")
    assert [p["name"] for p in faas.json("projects ls")] == ["demo"]
    dlp("projects ls")
    dlp("projects checkout -p demo")
    assert "faas projects ls" in dlp("projects web -p demo", code=2).stderr

    dlp("datasets create -d pics -p demo -c")
    dlp("datasets create --dataset-name other --project-name demo")
    assert "* " in dlp("datasets ls -p demo").stdout
    dlp("datasets checkout -d pics -p demo")
    assert "faas datasets ls" in dlp("datasets web -p demo -d pics", code=2).stderr

    dlp("packages push -src . -pr demo -p demo-pkg -c")
    assert "faas packages push" not in dlp("packages push -cid 123", code=2).stderr
    assert "--src-path" in dlp("packages push -cid 123", code=2).stderr
    assert "demo-pkg" in dlp("packages ls -p demo").stdout
    dlp("packages checkout -p demo-pkg")
    dlp("packages deploy -p demo-pkg -pr demo --module-name default_module -c")
    assert "success" in dlp("packages test -c 2 -f run").stdout

    # the checked-out dataset is used although the project has two
    dlp("items upload -l cat.jpg -p demo -d pics -r /train -f .jpg -lap annotations -ow")
    [item] = faas.json("items ls -d pics")
    assert item["filename"] == "/train/cat.jpg"
    assert "/train/cat.jpg" in dlp("items ls -p demo -d pics -o 0 -r /train -t image/jpeg").stdout
    dlp(f"items download -p demo -d pics -l out -r {item['filename']} -ow -t")
    assert (tmp_path / "out" / "train" / "cat.jpg").read_bytes() == (tmp_path / "cat.jpg").read_bytes()
    for refused in ("-ao json", "-aft box", "-afl cat", "-wt", "-th 2", "-wb"):
        assert "not supported" in dlp(f"items download -d pics {refused}", code=2).stderr
    assert "faas items ls" in dlp("items web -r /train -p demo -d pics", code=2).stderr

    assert "default-service" in dlp("services ls -pr demo -pkg demo-pkg").stdout
    dataset_id = item["datasetId"]
    executed = dlp(f"services execute -f run -s default-service -pr demo -i {item['id']} -d {dataset_id}")
    assert "status success" in executed.stdout
    # -a names an input the function does not declare: dropped, so it says hello; -as returns at once
    dlp(f"services execute -a {item['id']} -in {{}} -as")
    assert "[Done] Executing function." in dlp("services log -pr demo -f default-service -t 2000-01-01T00:00:00Z"
                                               ).stdout

    dlp("triggers create -r Item -a Created -p demo -pkg demo-pkg -f default-service -n on-val -fl "
        "'{\"dir\": \"/val\"}' -fn run")
    again = dlp("triggers create -r Item -a Created -f default-service -n on-val", code=1)
    assert "409" in again.stderr and "already has a trigger named 'on-val'" in again.stderr
    listed = dlp("triggers ls -pr demo -pkg demo-pkg -s default-service").stdout
    assert "on-val" in listed and "training-trigger" in listed
    dlp("triggers delete -t on-val -f default-service -p demo -pkg demo-pkg")
    assert [t["name"] for t in faas.json("triggers ls")] == ["training-trigger"]

    dlp("services tear-down -l service.json -pr demo")
    assert faas.json("services ls") == [] and faas.json("triggers ls") == []
    faas("packages deploy")
    dlp("services delete -f default-service -p demo -pkg demo-pkg")
    assert faas.json("services ls") == []
    dlp("packages delete -pkg demo-pkg -p demo")
    assert faas.json("packages ls") == []

    assert "faas packages generate" in dlp("generate -p x --option y", code=2).stderr
    assert "faas packages deploy" in dlp("deploy -f package.json -p demo", code=2).stderr

    # every command of the table ran, and every option it accepts or refuses was given
    assert set(COMMANDS) - {p for p in dlp.used if isinstance(p[0], str)} == set()
    options = {(r.dlp, r.short or r.option) for r in TABLE if r.option and r.dlp in COMMANDS
               and not COMMANDS[r.dlp].refusal}
    assert options - dlp.used == set()


def test_a_short_option_is_never_read_as_another(faas, project):
    result = faas("services execute -ax", code=2)
    assert "no such option -ax" in result.stderr and "-as" in result.stderr
    assert "no such option -pkgs" in faas("triggers ls -pkgs x", code=2).stderr
    assert faas.json("executions ls") == []


@pytest.mark.parametrize("old", ["plugins", "packages"])
def test_the_tutorials_plugins_noun_is_packages(faas, old):
    result = faas(f"{old} generate --plugin-name p")
    assert "wrote" in result.stdout
    assert "plugins" in faas("--help").stdout  # listed under dlp's names


def _shown_letters() -> dict[str, set[str]]:
    """Each short option the help of some `faas` command shows, and the long names it stands for there."""
    import click

    from pytest_faas.cli.app import cli

    meanings: dict[str, set[str]] = {}

    def walk(command: click.Command, ctx: click.Context) -> None:
        for param in command.params:
            record = param.get_help_record(ctx) if isinstance(param, click.Option) and not param.hidden else None
            if record is None:
                continue
            spellings = [s.split()[0] for s in record[0].split(", ")]
            longs = [s for s in spellings if s.startswith("--")]
            for short in (s for s in spellings if not s.startswith("--")):
                meanings.setdefault(short, set()).add(longs[0] if longs else short)
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                walk(sub, click.Context(sub, info_name=name, parent=ctx))

    walk(cli, click.Context(cli, info_name="faas"))
    return meanings


def test_one_letter_means_one_thing_in_every_commands_help_and_dlps_spelling_still_runs(faas, project, tmp_path):
    meanings = _shown_letters()
    assert meanings["-f"] == {"--function-name"}, "dlp's -f for --service-name or --file-types is not shown"
    assert meanings["-s"] == {"--service-name"}
    assert meanings["-p"] == {"--project-name"}, "dlp's -p for --package-name is not shown"
    # dlp's own spellings, where dlp uses them, still run: -p names the package in push, -f the service in log.
    faas("packages generate")
    faas("packages push -p renamed")
    assert [p["name"] for p in faas.json("packages ls")] == ["renamed"]
    faas("packages deploy -p renamed")
    service = faas.json("services ls")[0]["name"]
    assert faas(f"services log -f {service}").exit_code == 0
    assert "dlp's spelling, accepted" in faas("services log --help").stdout
