"""A failed invocation on the command line: the traceback once, in the package's own files, user text as is."""

from __future__ import annotations

from faas_code import write_package


def test_invoke_failure_shows_the_traceback_once_in_the_package_folder(faas, project, tmp_path):
    faas("packages generate")
    main = tmp_path / "main.py"
    main.write_text(main.read_text().replace(
        "        # create annotation", "        raise KeyError('bad key config[mode] and [red]x')\n        # create annotation"))
    faas("packages push")
    faas("packages deploy")
    write_package(tmp_path, {"cat.jpg": "pixels"})
    [item] = faas.json("items upload cat.jpg -r /val")

    result = faas(f"services invoke -i {item['id']}", code=1)
    text = result.stdout + result.stderr
    assert "bad key config[mode] and [red]x" in text  # never read as rich markup
    assert text.count("Traceback (most recent call last)") == 1
    assert f'File "{tmp_path}/main.py", line' in text  # not the runner's unpacked copy
    assert "faas-runtime" not in text and "_faas_" not in text

    with_logs = faas(f"services invoke -i {item['id']} --logs", code=1)
    text = with_logs.stdout + with_logs.stderr
    assert text.count("Traceback (most recent call last)") == 1 and "traceback is in the logs above" in text
    assert f'File "{tmp_path}/main.py", line' in text


def test_invoke_reads_its_input_from_a_file(faas, project, tmp_path):
    faas("packages generate")
    main = tmp_path / "main.py"
    main.write_text(main.read_text().replace("    def run(self, item=None, progress=None):",
                                             "    def echo(self, config):\n        return config\n\n"
                                             "    def run(self, item=None, progress=None):"))
    package = (tmp_path / "package.json").read_text().replace(
        '"functions": [', '"functions": [{"name": "echo", "input": [{"name": "config", "type": "Json"}]}, ')
    (tmp_path / "package.json").write_text(package)
    faas("packages push")
    faas("packages deploy")
    (tmp_path / "event.json").write_text('{"config": {"threshold": 0.5, "tag": "[red]x"}}')
    execution = faas.json("services invoke -f echo --input @event.json")
    assert execution["output"] == {"threshold": 0.5, "tag": "[red]x"}

    (tmp_path / "bad.json").write_text('{"config": {"threshold": 0.5,}}')
    result = faas("services invoke -f echo --input @bad.json", code=1)
    assert "bad.json" in result.stderr and "trailing comma at line 1" in result.stderr
    assert "there is no file" in faas("services invoke -f echo --input @missing.json", code=1).stderr
