"""The HTML report's entries and page, from plain data: bounds, phases from a status history, ordering, and
user text kept out of the markup. The page itself is driven in a browser in tests/plugin/test_html_report.py."""

from __future__ import annotations

import json
import re

from pytest_faas.report import records, writer
from pytest_faas.report.records import MergedEntry


def status(name: str, at: str, percent: int = 0, message: str | None = None) -> dict:
    return {"status": name, "percentComplete": percent, "message": message, "timestamp": f"2026-01-01T00:00:{at}Z"}


def test_phases_follow_the_status_history_through_a_rerun():
    execution = {"statusLog": [status("created", "00.000"), status("in-progress", "00.100"),
                               status("inProgress", "00.200", 50, "half"), status("rerun", "01.000"),
                               status("in-progress", "01.500"), status("success", "02.000", 100)],
                 "latestStatus": status("success", "02.000", 100), "duration": 0.4, "attempts": 2}
    entry = records.execution_entry(execution)
    base = records.epoch_ms("2026-01-01T00:00:00.000Z")
    assert [[kind, start - base, end - base] for kind, start, end in entry["phases"]] == [
        ["queued", 0, 100], ["running", 100, 1000], ["queued", 1000, 1500], ["running", 1500, 2000]]
    assert entry["ended"] - base == 2000 and entry["attempts"] == 2
    assert [(p["status"], p["percent"], p["message"]) for p in entry["progress"]] == [("inProgress", 50, "half")]


def test_a_running_execution_has_an_open_phase_and_no_end():
    entry = records.execution_entry({"statusLog": [status("created", "00.000"), status("in-progress", "00.100")],
                                     "latestStatus": status("in-progress", "00.100")})
    assert entry["phases"][-1][0] == "running" and entry["phases"][-1][2] is None and entry["ended"] is None


def test_a_huge_log_keeps_its_head_and_tail_within_the_budget():
    lines = [f"line {n} " + "x" * 300 for n in range(20_000)] + ["y" * 50_000]
    kept = records.bounded_logs(lines)
    size = sum(len(line) + 1 for line in kept["head"] + kept["tail"])
    assert size <= records.LOG_BYTES
    assert kept["head"][0].startswith("line 0 ") and kept["tail"][-1].endswith("(line cut)")
    assert kept["total"] == 20_001 and kept["omitted"] == 20_001 - len(kept["head"]) - len(kept["tail"]) > 0


def test_a_short_log_is_kept_whole():
    kept = records.bounded_logs(["one", "two\nthree"])
    assert kept == {"head": ["one", "two", "three"], "tail": [], "total": 3, "omitted": 0}


def test_values_are_cut_and_say_so():
    text = records.shown({"big": "z" * 10_000})
    assert len(text) < records.VALUE_CHARS + 100 and "more characters left out" in text


def test_a_failing_setup_is_an_error_and_a_failing_call_a_failure():
    entry = MergedEntry("a.py::t", "t", "test")
    entry.add_phase("setup", "failed", "fixture broke", 10.0, 10.5, 0.5)
    assert entry.to_json()["outcome"] == "error" and "[setup] fixture broke" in entry.to_json()["failure"]
    entry = MergedEntry("a.py::u", "u", "test")
    entry.add_phase("setup", "passed", "", 10.0, 10.1, 0.1)
    entry.add_phase("call", "failed", "assert 1 == 2", 10.1, 10.3, 0.2)
    entry.add_phase("teardown", "passed", "", 10.3, 10.4, 0.1)
    shown = entry.to_json()
    assert (shown["outcome"], shown["start"], shown["stop"], shown["duration"]) == ("failed", 10000, 10400, 0.4)


def test_failures_come_first_then_errors_passes_and_skips_each_in_start_order():
    entries = [{"id": i, "outcome": o, "start": s} for i, o, s in
               [("p1", "passed", 1), ("s", "skipped", 0), ("f2", "failed", 5), ("e", "error", 0), ("f1", "failed", 2)]]
    assert [e["id"] for e in records.order(entries)] == ["f1", "f2", "e", "p1", "s"]


def test_user_text_never_leaves_the_data_blob():
    hostile = '</script><script>alert(1)</script><!-- {{js}} {{data}} \u2028'
    entry = {"id": hostile, "label": hostile, "kind": "test", "outcome": "failed", "failure": hostile, "start": 1}
    page = writer.render({"title": hostile}, [entry])
    assert page.count("<script") == 2 and page.count("</script>") == 2 and "<!--" not in page
    assert "<title>&lt;/script&gt;" in page
    data = re.search(r'id="faas-data">(.*?)</script>', page, re.S).group(1)
    assert json.loads(data)["tests"][0]["failure"] == hostile


def test_the_page_is_written_in_one_step(tmp_path):
    target = tmp_path / "deep" / "report.html"
    writer.write(target, {"title": "t"}, [])
    assert target.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]
    assert not re.search(r'<(link|img|iframe)\b|\bsrc=|https?://', target.read_text()), "nothing is fetched"


def test_a_log_just_over_the_head_is_kept_whole_and_in_order():
    lines = [f"l{n}" for n in range(100)]
    kept = records.bounded_logs(lines)
    assert kept["head"] + kept["tail"] == lines and kept["omitted"] == 0


def test_the_rewrite_sees_the_kept_lines_only_each_part_as_one_text():
    seen = []

    def rewrite(text: str) -> str:
        seen.append(text)
        return text.replace("/tmp/code/", "pkg/")

    logs = ['Traceback (most recent call last):\n  File "/tmp/code/main.py", line 3, in run'] + \
        [f"noise {n}" for n in range(50_000)] + ['  File "/tmp/code/main.py", line 9, in parse']
    execution = {"latestStatus": {"status": "failed", "message": 'File "/tmp/code/main.py"'}, "statusLog": []}
    entry = records.case_entry(package="p", module="m", function="f", mock="mock.json", index=0, inputs={},
                               expect={}, executions=[execution], logs=logs, user_s=0, wall_s=0, rewrite=rewrite)
    assert entry["logs"]["head"][1] == '  File "pkg/main.py", line 3, in run'
    assert entry["logs"]["tail"][-1] == '  File "pkg/main.py", line 9, in parse'
    assert entry["executions"][0]["message"] == 'File "pkg/main.py"'
    assert len(seen) == 3 and sum(len(text) for text in seen) < records.LOG_BYTES + 100


def test_an_empty_log_and_a_log_of_other_values_are_counted():
    assert records.bounded_logs([]) == {"head": [], "tail": [], "total": 0, "omitted": 0}
    assert records.bounded_logs([1, "two\nthree"])["total"] == 3
