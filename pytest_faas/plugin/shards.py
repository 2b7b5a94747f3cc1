"""``--faas-shard i/n``: one suite split across CI machines, each running one shard with its own platform.

A shard is a contiguous block of the selected tests sorted by id. Ids are paths and names
(``hello_world/package.json::default_module::run[mock.json:0]``), the same on every machine that checks out
the same tree and runs the same command, so the shards need no coordination and no recorded durations:
together they run every selected test exactly once, and their sizes differ by one at most. Contiguous
blocks keep a package's cases together (a package straddles two shards at most), so each shard pushes
few packages.

Each shard writes its own ``--junitxml``; :func:`merge_junit` joins them into one document for the CI
readers that want a single file.
"""

from __future__ import annotations

import pytest

from .settings import BY_NAME, parse_shard


def shard_ids(ids, index: int, count: int) -> list[str]:
    """The ids of shard ``index`` (1-based) of ``count``: its block of the sorted ids."""
    ordered = sorted(set(ids))
    start, end = (index - 1) * len(ordered) // count, index * len(ordered) // count
    return ordered[start:end]


class ShardFilter:
    """Deselects every test outside this shard. Registered when ``--faas-shard`` (or FAAS_SHARD) is set."""

    def __init__(self, text: str):
        self.index, self.count = parse_shard(text)
        self.kept = self.selected = 0

    # After every other selection (-k, -m, --lf, --deselect): the blocks split what would run, so that
    # every shard of the same command gets its share of it.
    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list) -> None:
        wanted = set(shard_ids((item.nodeid for item in items), self.index, self.count))
        kept = [item for item in items if item.nodeid in wanted]
        dropped = [item for item in items if item.nodeid not in wanted]
        self.selected, self.kept = len(items), len(kept)
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = kept

    def pytest_report_header(self) -> str:
        return f"faas: shard {self.index} of {self.count} ({BY_NAME['shard'].flag})"

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.selected:  # under xdist the workers select; the controller has nothing to say
            terminalreporter.write_line(f"faas: shard {self.index} of {self.count} ran {self.kept} of the "
                                        f"{self.selected} selected tests")


def merge_junit(paths, out) -> int:
    """Join pytest ``--junitxml`` files (one per shard) into one ``<testsuites>`` document at ``out``, each
    shard's ``<testsuite>`` kept whole with its counts and time; returns the number of test cases."""
    import xml.etree.ElementTree as ET  # noqa: PLC0415

    merged = ET.Element("testsuites")
    for path in paths:
        root = ET.parse(path).getroot()
        merged.extend(root.iter("testsuite") if root.tag == "testsuites" else [root])
    for name in ("tests", "failures", "errors", "skipped"):
        merged.set(name, str(sum(int(suite.get(name, 0)) for suite in merged)))
    merged.set("time", f"{sum(float(suite.get('time', 0)) for suite in merged):.3f}")
    ET.ElementTree(merged).write(out, encoding="utf-8", xml_declaration=True)
    return sum(1 for _ in merged.iter("testcase"))
