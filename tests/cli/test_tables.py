"""Tables at 80 columns: whole ids and names, less important columns left out (and said so), never folded."""

from __future__ import annotations


def test_tables_fit_80_columns(faas, monkeypatch, tmp_path):
    faas("packages generate")
    faas("projects create demo")
    faas("datasets create pictures")
    faas("packages push")
    faas("packages deploy")
    (tmp_path / "cat.jpg").write_text("pixels")
    faas("items upload cat.jpg -r /train")
    monkeypatch.setenv("COLUMNS", "80")
    triggers = faas.json("triggers ls")
    for command in ("triggers ls", "executions ls", "services ls", "packages ls", "items ls", "datasets ls"):
        result = faas(command)
        lines = result.stdout.splitlines()
        assert lines and max(len(line) for line in lines) <= 80, (command, result.stdout)
    shown = faas("triggers ls").stdout
    assert triggers[0]["id"] in shown and "training-trigger" in shown  # ids and names whole
    assert "left out at 80 columns:" in shown and "--json" in shown
