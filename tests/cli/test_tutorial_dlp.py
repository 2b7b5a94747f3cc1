"""The tutorial typed as it is written, with `dlp`'s words: each `$ dlp ...` line runs as `faas ...`.

The lines are the tutorial's own (its placeholders filled in), in its order; between them the test checks
what the tutorial says should have happened, on the local platform the commands share (embedded mode).
"""

from __future__ import annotations

import shlex

TRANSCRIPT = """
$ dlp projects create --project-name demo
$ dlp projects checkout --project-name demo
$ dlp packages generate --plugin-name "my-first-package"
$ dlp packages push --checkout
$ dlp packages deploy --checkout
$ dlp services invoke
$ dlp datasets create --dataset-name pictures --checkout
$ dlp items upload --local-path cat.jpg --remote-path /val
$ dlp services invoke --item-id {item_id}
$ dlp plugins test
$ dlp triggers create --package-name "my-first-package" --service-name "default-service" --name "trigger-name" \
    --filters '{{"$and": [{{"dir": "/train"}}, {{"hidden": False}}, {{"type": "file"}}]}}' --function-name 'run' \
    --resource "Item" --actions "Created"
$ dlp items upload --local-path dog.jpg --remote-path /train
"""


def _lines(text: str) -> list[str]:
    return [line[len("$ dlp "):] for line in text.replace("\\\n", " ").splitlines() if line.startswith("$ dlp ")]


def test_the_tutorial_with_dlps_spellings(faas, tmp_path):
    (tmp_path / "cat.jpg").write_bytes(b"a cat")
    (tmp_path / "dog.jpg").write_bytes(b"a dog")
    outputs, typed = {}, []
    item_id = None
    for line in _lines(TRANSCRIPT):
        line = line.format(item_id=item_id)
        typed.append(line)
        result = faas(shlex.split(line))
        outputs[line.split(" --")[0]] = result
        if line.startswith("items upload") and item_id is None:
            [item] = faas.json("items ls")
            item_id = item["id"]

    assert faas.json("packages ls")[0]["name"] == "my-first-package"
    assert "status success" in outputs["services invoke"].stdout  # the Hello World needs no input
    invoked = [e for e in faas.json("executions ls") if e["input"].get("item") and not e.get("triggerId")]
    assert len(invoked) == 1 and invoked[0]["latestStatus"]["status"] == "success"
    assert "success" in outputs["plugins test"].stdout
    # the upload to /train fired the generated training-trigger and the tutorial's trigger-name, once each
    triggers = {t["id"]: t["name"] for t in faas.json("triggers ls")}
    fired = sorted(triggers[e["triggerId"]] for e in faas.json("executions ls") if e.get("triggerId"))
    assert fired == ["training-trigger", "trigger-name"]

    # typing the trigger line twice is refused, as on the platform, so the name stays one trigger
    again = faas(shlex.split(typed[10]), code=1)
    assert "already has a trigger named 'trigger-name'" in again.stderr
    faas("triggers delete trigger-name")
    assert sorted(triggers.values()) == ["training-trigger", "trigger-name"]
    assert [t["name"] for t in faas.json("triggers ls")] == ["training-trigger"]
