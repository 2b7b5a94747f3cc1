#!/usr/bin/env python
"""Run dtlpy's own behave suite against a LocalPlatform, area by area, and print the figures.

dtlpy's repository shipped its behave suite (``tests/features``) up to release 1.121.5, and its test assets
(``tests/assets``) only until the commit of release 1.6.2; the later assets were never published. This
script takes both out of a local git copy of that repository, puts ``scripts/dtlpy_suite/environment.py``
in place of the suite's ``environment.py`` (the original is kept and its hooks still run; the steps are
unchanged), and runs each area in its own behave process, one LocalPlatform each.

    python scripts/behave_dtlpy.py --repo /path/to/dtlpy.git [--areas items,datasets] [--jobs 1]

The FaaS package folders the services, executions and triggers features push (``tests/assets/services/item``
and the like) were never published. ``scripts/dtlpy_suite/assets`` holds stand-ins for those whose behaviour
the steps spell out (a function ``run(item)``; an annotation trigger's function that relabels it "Edited";
one that returns ``size`` MB...); each is copied in only where the published assets lack the folder, and the
summary lists them. ``--no-stand-ins`` leaves them out.

Needs ``behave`` and the suite's imports in the environment (not dependencies of pytest-faas):
``pip install behave behave-testrail-reporter opencv-python-headless xmltodict python-dotenv``.
Every scenario is bounded (``--scenario-timeout``), and every area (``--area-timeout``).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SUITE_REF = "1.121.5"
ASSETS_SUBJECT = "1.6.2"  # the last commit that still had tests/assets (the next one, "1.6.3", removed them)
AREAS = {
    "packages": ["packages_entity", "packages_flow", "packages_repo", "code_base_entity", "code_bases_repo"],
    "services": ["services_entity", "services_repo"],
    "executions": ["executions_repo", "execution_monitoring"],
    "triggers": ["triggers_repo"],
    "items": ["items_repo", "item_entity"],
    "datasets": ["datasets_repo", "dataset_entity"],
    "annotations": ["annotations_repo", "annotation_entity", "annotation_collection"],
    "recipes": ["recipes_repo", "recipe_entity"],
    "ontologies": ["ontologies_repo", "ontology_entity"],
    "projects": ["projects_repo", "project_entity"],
}
HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent


def git(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", "--git-dir", str(repo), *args], check=True, capture_output=True).stdout


def extract(repo: Path, ref: str, prefix: str, dest: Path) -> list[str]:
    """Write ``prefix`` of ``ref`` under ``dest``; return the paths whose blobs the copy lacks."""
    missing = []
    for line in git(repo, "ls-tree", "-r", ref, prefix).decode().splitlines():
        meta, path = line.split("\t", 1)
        _, kind, sha = meta.split()
        if kind != "blob":
            continue
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["git", "--git-dir", str(repo), "cat-file", "blob", sha], capture_output=True)
        if done.returncode != 0:
            missing.append(path)
            continue
        target.write_bytes(done.stdout)
    return missing


def add_stand_ins(work: Path) -> list[str]:
    """Copy the stand-in package folders the published assets lack; return their asset paths."""
    source, added = HERE / "dtlpy_suite" / "assets", []
    for package_json in sorted(source.rglob("package.json")):
        folder = package_json.parent.relative_to(source)
        target = work / "tests" / "assets" / folder
        if not target.exists():
            shutil.copytree(package_json.parent, target)
            added.append(str(folder))
    return added


def _is_label_tree(doc) -> bool:
    return isinstance(doc, list) and bool(doc) and all(
        isinstance(r, dict) and isinstance(r.get("value"), dict) and "tag" in r["value"] for r in doc)


def _give_display_data(roots: list) -> None:
    for root in roots:
        root["value"].setdefault("displayData", {})
        _give_display_data([c for c in root.get("children") or [] if isinstance(c, dict) and "value" in c])


def label_files_with_display_data(assets: Path) -> list[str]:
    """Give every label (roots) file of the assets ``displayData: {}`` where its labels lack it; return them.

    The published label files predate ``displayData``, which dtlpy's ``Label.to_root()`` always writes, so
    a step that compares an ontology read back with the file it was made from would fail on any platform.
    """
    changed = []
    for path in sorted(assets.rglob("*.json")):
        if path.stat().st_size > 5_000_000:
            continue
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if _is_label_tree(doc):
            before = json.dumps(doc)
            _give_display_data(doc)
            if json.dumps(doc) != before:
                path.write_text(json.dumps(doc, indent=2))
                changed.append(str(path.relative_to(assets)))
    return changed


def prepare(repo: Path, work: Path) -> dict:
    assets_ref = git(repo, "log", "--all", "--format=%H", f"--grep=^{ASSETS_SUBJECT}$").decode().split()
    if not assets_ref:
        raise SystemExit(f"no commit named {ASSETS_SUBJECT!r} in {repo}: is it a copy of dataloop-ai/dtlpy?")
    missing = extract(repo, SUITE_REF, "tests", work)
    missing += extract(repo, assets_ref[-1], "tests/assets", work)
    features = work / "tests" / "features"
    shutil.move(features / "environment.py", features / "environment_dtlpy.py")
    shutil.copy(HERE / "dtlpy_suite" / "environment.py", features / "environment.py")
    return {"suite": SUITE_REF, "assets": assets_ref[-1], "missing_blobs": missing,
            "label_files_given_display_data": label_files_with_display_data(work / "tests" / "assets")}


def run_area(work: Path, area: str, out: Path, scenario_timeout: float, area_timeout: float) -> dict:
    report = out / f"{area}.json"
    env = {**os.environ, "FAAS_BEHAVE_SCENARIO_TIMEOUT": str(scenario_timeout), "PYTHONUNBUFFERED": "1",
           "PYTHONPATH": os.pathsep.join([str(PROJECT), str(work), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-m", "behave", *(f"tests/features/{d}" for d in AREAS[area]),
               "--format", "json", "--outfile", str(report), "--format", "plain", "--outfile",
               str(out / f"{area}.log"), "--no-skipped", "--no-summary"]
    started = time.monotonic()
    try:
        subprocess.run(command, cwd=work, env=env, timeout=area_timeout, stdin=subprocess.DEVNULL,
                       stdout=open(out / f"{area}.stdout", "w"), stderr=subprocess.STDOUT)
        timed_out = False
    except subprocess.TimeoutExpired:
        timed_out = True
    return {"area": area, "timed_out": timed_out, "seconds": round(time.monotonic() - started),
            **count(report)}


def count(report: Path) -> dict:
    statuses: dict[str, int] = {}
    failures = []
    try:
        features = json.loads(report.read_text() or "[]")
    except (OSError, ValueError):
        features = []
    for feature in features:
        for element in feature.get("elements", []):
            if element.get("type") == "background":
                continue
            status = element.get("status", "untested")
            statuses[status] = statuses.get(status, 0) + 1
            if status in ("failed", "error"):
                failures.append({"feature": feature.get("location"), "scenario": element.get("name"),
                                 "error": first_error(element)})
    return {"statuses": statuses, "passed": statuses.get("passed", 0),
            "total": sum(n for s, n in statuses.items() if s != "skipped"), "failures": failures}


def first_error(element: dict) -> str:
    for step in element.get("steps", []):
        result = step.get("result") or {}
        if result.get("status") in ("failed", "error"):
            message = result.get("error_message") or ""
            if isinstance(message, list):
                message = "\n".join(message)
            lines = [line for line in message.splitlines() if line.strip()]
            return f"{step.get('keyword', '')} {step.get('name', '')} -> {lines[-1] if lines else ''}"[:400]
    return ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", required=True, type=Path, help="a git directory of dataloop-ai/dtlpy")
    parser.add_argument("--work", type=Path, help="where to extract and report (default: a new temp folder)")
    parser.add_argument("--areas", default=",".join(AREAS), help="comma-separated, of: " + ", ".join(AREAS))
    parser.add_argument("--jobs", type=int, default=1, help="areas run at once (each has its own platform)")
    parser.add_argument("--scenario-timeout", type=float, default=240.0)
    parser.add_argument("--area-timeout", type=float, default=3600.0)
    parser.add_argument("--no-stand-ins", action="store_true", help="run without the stand-in FaaS packages")
    args = parser.parse_args()
    repo = args.repo / ".git" if (args.repo / ".git").is_dir() else args.repo
    work = args.work or Path(tempfile.mkdtemp(prefix="dtlpy-suite-"))
    areas = [a for a in args.areas.split(",") if a]
    unknown = set(areas) - set(AREAS)
    if unknown:
        parser.error(f"unknown areas: {sorted(unknown)}")
    source = prepare(repo, work)
    source["stand_ins"] = [] if args.no_stand_ins else add_stand_ins(work)
    out = work / "reports"
    out.mkdir(exist_ok=True)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(lambda a: run_area(work, a, out, args.scenario_timeout, args.area_timeout),
                                areas))
    summary = {"source": source, "areas": results, "passed": sum(r["passed"] for r in results),
               "total": sum(r["total"] for r in results)}
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    print(f"{'area':<12}{'passed':>8}{'run':>6}  statuses")
    for r in results:
        note = " (area timed out)" if r["timed_out"] else ""
        print(f"{r['area']:<12}{r['passed']:>8}{r['total']:>6}  {r['statuses']} {r['seconds']} s{note}")
    print(f"{'all':<12}{summary['passed']:>8}{summary['total']:>6}")
    print(f"reports: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
