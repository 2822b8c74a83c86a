#!/usr/bin/env python3
"""Check Argo Workflow YAML files (as `fabchart flow X` prints them).

    check_workflow.py [--schema FILE] FILE...

1. Every document is validated against Argo Workflows' JSON schema
   (`api/jsonschema/schema.json` of argoproj/argo-workflows) with unknown
   fields rejected: `additionalProperties: false` is injected into every
   object definition that lists `properties` (and into the empty structs,
   e.g. `ZipStrategy`; `Plugin` and `FieldsV1` stay free-form).
   Two corrections make the schema match what Argo's decoder accepts:
   `IntOrString` takes an integer or a string (the schema says string only,
   so `retryStrategy.limit: 3` would fail) and `Quantity` takes a number or
   a string.
2. Every embedded shell script is run through `shellcheck` (default
   severity: style and up); any finding fails. Scripts are
   `templates[].script.source` whose command is a shell (sh, bash, dash,
   ash, ksh), and the script argument of `sh -c` / `bash -c` in
   `command` + `args` of containers, init containers, sidecars and
   container-set containers. Argo placeholders `{{...}}` are replaced by a
   plain word (ARGO_PLACEHOLDER) first: Argo substitutes them before the
   shell runs, and shellcheck would otherwise report literal braces.

The schema: no PyPI package ships Argo's schema.json (argo-workflows 6.7.18
is an OpenAPI client that keeps unknown keys; hera 7.1.0 has pydantic models
that ignore extra fields), so it is read from --schema, default
tests/conformance/schema/workflow-schema.json next to this script.

Exit status: 0 when everything passes, 1 on any finding, 2 on bad usage or
a missing tool or schema. Never skips.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any, Iterator

import yaml

try:
    import jsonschema
except ImportError as exc:  # pragma: no cover - environment problem
    print(f"check_workflow: cannot import jsonschema ({exc}); run: pip install -r "
          "tests/conformance/requirements.txt", file=sys.stderr)
    sys.exit(2)

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SCHEMA = os.path.join(HERE, "schema", "workflow-schema.json")
PREFIX = "io.argoproj.workflow.v1alpha1."
API_VERSION = "argoproj.io/v1alpha1"
KINDS = ["Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow",
         "WorkflowEventBinding"]
# Object definitions without `properties` that really are free-form maps.
FREE_FORM = {PREFIX + "Plugin", "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1"}
SHELLS = {"sh": "sh", "bash": "bash", "dash": "dash", "ash": "sh", "ksh": "ksh"}
PLACEHOLDER = "ARGO_PLACEHOLDER"


def die(msg: str) -> None:
    print(f"check_workflow: {msg}", file=sys.stderr)
    sys.exit(2)


class KubeLoader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1 timestamps: the API server sees strings."""


KubeLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


# --- schema ---------------------------------------------------------------

def strict_schema(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            schema = json.load(f)
    except FileNotFoundError:
        die(f"Argo's JSON schema is missing: {path} (api/jsonschema/schema.json from "
            "argoproj/argo-workflows; pass another copy with --schema)")
    except (OSError, json.JSONDecodeError) as exc:
        die(f"cannot read the Argo schema {path}: {exc}")
    defs = schema.get("definitions")
    if not isinstance(defs, dict) or PREFIX + "Workflow" not in defs:
        die(f"{path} is not Argo's workflow schema (no {PREFIX}Workflow definition)")
    defs = copy.deepcopy(defs)

    def close(node: Any) -> None:
        if isinstance(node, dict):
            if "properties" in node and "additionalProperties" not in node:
                node["additionalProperties"] = False
            for v in node.values():
                close(v)
        elif isinstance(node, list):
            for v in node:
                close(v)

    close(defs)
    for name, d in defs.items():
        if (d.get("type") == "object" and "properties" not in d
                and "additionalProperties" not in d and name not in FREE_FORM):
            d["properties"] = {}
            d["additionalProperties"] = False
    defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] = {"type": ["integer", "string"]}
    defs["io.k8s.apimachinery.pkg.api.resource.Quantity"] = {"type": ["number", "string"]}
    return {"$schema": schema.get("$schema", "https://json-schema.org/draft/2020-12/schema"),
            "definitions": defs}


def validators(path: str) -> dict[str, Any]:
    base = strict_schema(path)
    cls = jsonschema.validators.validator_for(base)
    cls.check_schema(base)  # once: the injected keywords must keep it a valid schema
    out = {}
    for kind in KINDS:
        if PREFIX + kind not in base["definitions"]:
            continue
        out[kind] = cls(dict(base, **{"$ref": f"#/definitions/{PREFIX}{kind}"}))
    return out


# --- shell scripts --------------------------------------------------------

def shell_of(argv0: Any) -> str | None:
    if not isinstance(argv0, str):
        return None
    return SHELLS.get(os.path.basename(argv0))


def inline_script(argv: list[Any]) -> tuple[str | None, str | None]:
    """(dialect, script) for `sh [opts] -c SCRIPT ...`, else (dialect, None)."""
    argv = list(argv)
    if argv and isinstance(argv[0], str) and os.path.basename(argv[0]) == "env":
        argv = argv[1:]
        while argv and isinstance(argv[0], str) and ("=" in argv[0] or argv[0].startswith("-")):
            argv = argv[1:]
    if not argv:
        return None, None
    dialect = shell_of(argv[0])
    if dialect is None:
        return None, None
    i, has_c = 1, False
    while i < len(argv):
        a = argv[i]
        if not isinstance(a, str):
            return dialect, None
        if a in ("-o", "+o"):
            i += 2
            continue
        if a == "--":
            i += 1
            break
        if a.startswith(("-", "+")) and len(a) > 1:
            has_c = has_c or (a.startswith("-") and "c" in a[1:])
            i += 1
            continue
        break
    if has_c and i < len(argv) and isinstance(argv[i], str):
        return dialect, argv[i]
    return dialect, None


def templates_of(doc: dict) -> list[Any]:
    spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
    if doc.get("kind") == "CronWorkflow":
        spec = spec.get("workflowSpec") if isinstance(spec.get("workflowSpec"), dict) else {}
    t = spec.get("templates")
    return t if isinstance(t, list) else []


def scripts_of(doc: dict) -> Iterator[tuple[str, str, str | None, str | None]]:
    """(template name, where, dialect, script); script None = problem in dialect."""
    for n, tpl in enumerate(templates_of(doc)):
        if not isinstance(tpl, dict):
            continue
        name = tpl.get("name") if isinstance(tpl.get("name"), str) else f"#{n}"
        script = tpl.get("script")
        if isinstance(script, dict) and "source" in script:
            cmd = script.get("command")
            if not cmd:
                yield name, "script", None, "script template has no command: cannot tell " \
                    "whether its source is a shell script"
            else:
                dialect, _ = inline_script(cmd) if isinstance(cmd, list) else (None, None)
                if dialect is not None and isinstance(script.get("source"), str):
                    yield name, "script.source", dialect, script["source"]
        containers: list[tuple[str, Any]] = []
        if isinstance(tpl.get("container"), dict):
            containers.append(("container", tpl["container"]))
        for key in ("initContainers", "sidecars"):
            for i, c in enumerate(tpl.get(key) or []):
                containers.append((f"{key}[{i}]", c))
        cs = tpl.get("containerSet")
        if isinstance(cs, dict):
            for i, c in enumerate(cs.get("containers") or []):
                containers.append((f"containerSet.containers[{i}]", c))
        for where, c in containers:
            if not isinstance(c, dict):
                continue
            argv = list(c.get("command") or []) + list(c.get("args") or [])
            dialect, src = inline_script(argv)
            if dialect is not None and src is not None:
                yield name, f"{where} -c", dialect, src


def run_shellcheck(jobs: list[tuple[str, str, str]], tmp: str) -> dict[int, list[str]]:
    """jobs: (label, dialect, script); returns findings per job index."""
    found: dict[int, list[str]] = {}
    by_dialect: dict[str, list[int]] = {}
    for idx, (_, dialect, src) in enumerate(jobs):
        p = os.path.join(tmp, f"s{idx}.sh")
        with open(p, "w", encoding="utf-8") as f:
            f.write(re.sub(r"\{\{.*?\}\}", PLACEHOLDER, src))
            if not src.endswith("\n"):
                f.write("\n")
        by_dialect.setdefault(dialect, []).append(idx)
    for dialect, idxs in by_dialect.items():
        cmd = ["shellcheck", "--norc", f"--shell={dialect}", "--severity=style",
               "--format=json1"] + [f"s{i}.sh" for i in idxs]
        proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True)
        try:
            comments = json.loads(proc.stdout)["comments"]
        except (json.JSONDecodeError, KeyError, TypeError):
            die(f"shellcheck failed (exit {proc.returncode}): {proc.stderr.strip()}")
        if proc.returncode not in (0, 1):
            die(f"shellcheck failed (exit {proc.returncode}): {proc.stderr.strip()}")
        for c in comments:
            i = int(os.path.basename(c["file"])[1:-3])
            found.setdefault(i, []).append(
                f"line {c['line']} col {c['column']}: SC{c['code']} ({c['level']}): "
                f"{c['message']}")
        if proc.returncode == 1 and not comments:
            die(f"shellcheck exited 1 without findings: {proc.stderr.strip()}")
    return found


# --- main -----------------------------------------------------------------

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", metavar="FILE")
    ap.add_argument("--schema", default=os.environ.get("ARGO_WORKFLOW_SCHEMA", DEFAULT_SCHEMA),
                    help="Argo's api/jsonschema/schema.json (default: %(default)s)")
    args = ap.parse_args()
    started = time.monotonic()
    if shutil.which("shellcheck") is None:
        die("`shellcheck` is not on PATH (Debian: apt-get install shellcheck; or bash .ci/run)")
    vals = validators(args.schema)

    failures: list[str] = []
    jobs: list[tuple[str, str, str]] = []
    ndocs = 0
    for path in args.files:
        try:
            with open(path, encoding="utf-8") as f:
                docs = [d for d in yaml.load_all(f, Loader=KubeLoader) if d is not None]
        except (OSError, yaml.YAMLError) as exc:
            failures.append(f"FAIL {path}: cannot read YAML: {exc}")
            continue
        if not docs:
            failures.append(f"FAIL {path}: no YAML document")
        for doc in docs:
            ndocs += 1
            if not isinstance(doc, dict):
                failures.append(f"FAIL {path}: document is a {type(doc).__name__}, not an object")
                continue
            meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
            label = (f"{doc.get('kind')}/"
                     f"{meta.get('name') or meta.get('generateName') or '<no name>'}")
            kind = doc.get("kind")
            if doc.get("apiVersion") != API_VERSION or kind not in vals:
                failures.append(f"FAIL {path}: {label}: apiVersion/kind must be {API_VERSION} "
                                f"and one of {', '.join(vals)}; got {doc.get('apiVersion')} "
                                f"{kind}")
                continue
            errors = sorted(vals[kind].iter_errors(doc), key=lambda e: list(map(str, e.path)))
            for e in errors:
                where = ".".join(str(p) for p in e.absolute_path) or "<root>"
                msg = e.message
                if e.context:  # oneOf/anyOf: show the closest branch's reason
                    best = jsonschema.exceptions.best_match(e.context)
                    msg += f" (closest: {'.'.join(map(str, best.absolute_path))}: {best.message})"
                failures.append(f"FAIL {path}: {label}: schema: {where}: {msg}")
            for tname, where, dialect, src in scripts_of(doc):
                tag = f"{path}: {label}: template '{tname}' {where}"
                if dialect is None:
                    failures.append(f"FAIL {tag}: {src}")
                else:
                    jobs.append((tag, dialect, src))

    with tempfile.TemporaryDirectory(prefix="check_workflow.") as tmp:
        found = run_shellcheck(jobs, tmp) if jobs else {}
    for i, (tag, dialect, _) in enumerate(jobs):
        for finding in found.get(i, []):
            failures.append(f"FAIL {tag} (shellcheck --shell={dialect}): {finding}")

    for line in failures:
        print(line)
    took = time.monotonic() - started
    print(f"{ndocs} workflow documents in {len(args.files)} files, {len(jobs)} shell scripts "
          f"checked: {len(failures)} failures ({took:.1f}s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
