#!/usr/bin/env python3
"""Run checkov over a chart's rendered objects and hold each workload to at
most MAX_FAILED failed checks.

    check_checkov.py OBJECTS.json [--exception CONTAINER ...] [--report]

OBJECTS.json: the rendered objects (check_chart.py --dump-objects). The
checks of tests/conformance/checkov-not-applicable.txt do not count, nor
failures of a container named by --exception (the chart's privileged dind
sidecar, the documented exception to Pod Security "restricted"). A workload
is a Deployment or StatefulSet. Prints the failures per workload; exit status
0 when every workload has at most MAX_FAILED, 1 otherwise, 2 on bad usage
or when checkov is missing.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile

import yaml

MAX_FAILED = 2
WORKLOADS = ("Deployment", "StatefulSet")
HERE = os.path.dirname(os.path.abspath(__file__))


def not_applicable() -> dict[str, str]:
    out = {}
    with open(os.path.join(HERE, "checkov-not-applicable.txt"), encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                check, _, why = line.partition(" ")
                out[check] = why.strip()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("objects", metavar="OBJECTS.json")
    ap.add_argument("--exception", action="append", default=[], metavar="CONTAINER")
    args = ap.parse_args()
    exe = shutil.which("checkov")
    if not exe:
        print("check_checkov: no `checkov` on PATH; run: pip install -r "
              "tests/conformance/requirements.txt", file=sys.stderr)
        return 2
    with open(args.objects, encoding="utf-8") as f:
        objects = json.load(f)
    skipped = not_applicable()
    def checkov(objs: list) -> dict:
        with tempfile.TemporaryDirectory(prefix="check_checkov.") as tmp:
            manifest = os.path.join(tmp, "manifest.yaml")
            with open(manifest, "w", encoding="utf-8") as f:
                yaml.safe_dump_all(objs, f)
            proc = subprocess.run(
                [exe, "-f", manifest, "--framework", "kubernetes", "--compact", "-o", "json",
                 "--skip-check", ",".join(skipped)],
                capture_output=True, text=True)
        try:
            report = json.loads(proc.stdout)
        except json.JSONDecodeError:
            print(f"check_checkov: checkov printed no report:\n{proc.stdout}\n{proc.stderr}")
            sys.exit(2)
        if isinstance(report, list):
            report = report[0]
        return report.get("results", {})

    def failures(results: dict) -> dict[str, list[str]]:
        out = collections.defaultdict(list)
        for result in results.get("failed_checks", []):
            out[result["resource"]].append(result["check_id"])
        return out

    # What fails with the excepted containers, and what still fails without
    # them: the difference is theirs.
    results = checkov(objects)
    workloads = {r["resource"] for r in results.get("passed_checks", []) + results.get("failed_checks", [])
                 if r["resource"].split(".")[0] in WORKLOADS}
    failed = failures(results)
    excepted = collections.Counter()
    if args.exception:
        stripped = json.loads(json.dumps(objects))
        for obj in stripped:
            if obj.get("kind") in WORKLOADS:
                spec = obj["spec"]["template"]["spec"]
                spec["containers"] = [c for c in spec["containers"] if c["name"] not in args.exception]
        without = failures(checkov(stripped))
        for resource in workloads:
            excepted[resource] = len(failed.get(resource, [])) - len(without.get(resource, []))
            failed[resource] = without.get(resource, [])
    worst = 0
    for resource in sorted(workloads):
        checks = failed.get(resource, [])
        worst = max(worst, len(checks))
        note = f" (+{excepted[resource]} of the documented exception)" if excepted[resource] else ""
        print(f"{resource}: {len(checks)} failed {sorted(checks)}{note}")
    for resource in sorted(set(failed) - workloads):
        print(f"{resource}: {len(failed[resource])} failed {sorted(failed[resource])}")
    total = sum(len(failed.get(r, [])) for r in workloads)
    print(f"{len(workloads)} workloads, {total / max(len(workloads), 1):.2f} failed checks per "
          f"workload (at most {worst}; allowed {MAX_FAILED}); not counted: {', '.join(skipped)}")
    others = [r for r in failed if r not in workloads]
    return 1 if worst > MAX_FAILED or others or not workloads else 0


if __name__ == "__main__":
    sys.exit(main())
