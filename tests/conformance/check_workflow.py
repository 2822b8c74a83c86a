#!/usr/bin/env python3
"""Check Argo Workflow YAML files (as `fabchart flow X` prints them).

    check_workflow.py [--schema FILE] FILE...

1. Every document is validated against a JSON schema derived from hera's
   pydantic models of Argo's API (`hera.workflows.models`, pinned in
   requirements.txt), made strict: `additionalProperties: false` is injected
   into every object definition (unknown fields are rejected; `Plugin` and
   `FieldsV1` stay free-form), and the `null` alternative pydantic adds to
   every Optional field is removed (`anyOf: [X, {type: null}]` -> X), so a
   `null` where Argo expects a value fails too. `Quantity` takes a number or
   a string (Argo's decoder accepts both; hera says string only).
   The derived schema is built once per run, in memory (nothing is written).
2. When Argo's own `api/jsonschema/schema.json` is available, every document
   is validated against it as well (same strictness; `IntOrString` takes an
   integer or a string and `Quantity` a number or a string, as Argo's
   decoder does). It is looked up in this order: --schema FILE, env
   ARGO_WORKFLOW_SCHEMA, then the sibling checkout
   <repo>/../shared/reference/argo/workflow-schema.json. An explicit
   --schema / ARGO_WORKFLOW_SCHEMA that cannot be read is an error; the
   sibling copy is optional. The schemas used are printed on one line.
3. Every embedded shell script is run through `shellcheck` (default
   severity: style and up); any finding fails. Scripts are
   `templates[].script.source` whose command is a shell (sh, bash, dash,
   ash, ksh), and the script argument of `sh -c` / `bash -c` in
   `command` + `args` of containers, init containers, sidecars and
   container-set containers. Argo placeholders `{{...}}` are replaced by a
   plain word (ARGO_PLACEHOLDER) first: Argo substitutes them before the
   shell runs, and shellcheck would otherwise report literal braces.

Exit status: 0 when everything passes, 1 on any finding, 2 on bad usage or
a missing tool, package or schema. Never skips.
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
REPO = os.path.dirname(os.path.dirname(HERE))
SIBLING_SCHEMA = os.path.join(os.path.dirname(REPO), "shared", "reference", "argo",
                              "workflow-schema.json")
PREFIX = "io.argoproj.workflow.v1alpha1."
API_VERSION = "argoproj.io/v1alpha1"
KINDS = ["Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow",
         "WorkflowEventBinding"]
# Object definitions without `properties` that really are free-form maps.
FREE_FORM = {PREFIX + "Plugin", "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1"}
HERA_FREE_FORM = {"Plugin", "FieldsV1"}  # the same, as hera names its definitions
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

def close_objects(node: Any) -> None:
    """additionalProperties: false wherever `properties` is listed."""
    if isinstance(node, dict):
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for v in node.values():
            close_objects(v)
    elif isinstance(node, list):
        for v in node:
            close_objects(v)


def strict_schema(path: str) -> dict:
    """Argo's schema.json, made strict; definitions keyed by Argo's names."""
    try:
        with open(path, encoding="utf-8") as f:
            schema = json.load(f)
    except (OSError, json.JSONDecodeError) as exc:
        die(f"cannot read Argo's JSON schema {path}: {exc}")
    defs = schema.get("definitions")
    if not isinstance(defs, dict) or PREFIX + "Workflow" not in defs:
        die(f"{path} is not Argo's workflow schema (no {PREFIX}Workflow definition)")
    defs = copy.deepcopy(defs)
    close_objects(defs)
    for name, d in defs.items():
        if (d.get("type") == "object" and "properties" not in d
                and "additionalProperties" not in d and name not in FREE_FORM):
            d["properties"] = {}
            d["additionalProperties"] = False
    defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] = {"type": ["integer", "string"]}
    defs["io.k8s.apimachinery.pkg.api.resource.Quantity"] = {"type": ["number", "string"]}
    return {"$schema": schema.get("$schema", "https://json-schema.org/draft/2020-12/schema"),
            "definitions": defs,
            "kinds": {kind: f"#/definitions/{PREFIX}{kind}" for kind in KINDS
                      if PREFIX + kind in defs}}


def drop_null(node: Any) -> Any:
    """Remove pydantic's Optional `null` alternatives, recursively."""
    if isinstance(node, list):
        return [drop_null(v) for v in node]
    if not isinstance(node, dict):
        return node
    node = {k: drop_null(v) for k, v in node.items()}
    t = node.get("type")
    if isinstance(t, list) and "null" in t:
        t = [x for x in t if x != "null"]
        node["type"] = t[0] if len(t) == 1 else t
    alts = node.get("anyOf")
    if isinstance(alts, list) and {"type": "null"} in alts:
        alts = [x for x in alts if x != {"type": "null"}]
        if node.get("default", 0) is None:
            del node["default"]
        if len(alts) == 1:
            del node["anyOf"]
            rest, node = node, dict(alts[0])
            for k, v in rest.items():  # title, description: keep, but never clobber
                node.setdefault(k, v)
        else:
            node["anyOf"] = alts
    return node


def hera_schema() -> tuple[dict, str]:
    """Schema derived from hera's pydantic models, made strict."""
    try:
        from importlib.metadata import version
        from pydantic.json_schema import models_json_schema
        import hera.workflows.models as hm
    except ImportError as exc:
        die(f"cannot import hera ({exc}); run: pip install -r "
            "tests/conformance/requirements.txt")
    models = [(getattr(hm, kind), "validation") for kind in KINDS if hasattr(hm, kind)]
    refs, schema = models_json_schema(models, ref_template="#/definitions/{model}")
    defs = drop_null(schema.get("$defs", {}))
    for name in HERA_FREE_FORM:
        if name in defs:
            defs[name] = {"type": "object"}
    close_objects(defs)
    for name, d in defs.items():
        if d.get("type") == "object" and "properties" not in d \
                and "additionalProperties" not in d and name not in HERA_FREE_FORM:
            d["properties"] = {}
            d["additionalProperties"] = False
    defs["Quantity"] = {"type": ["number", "string"]}
    kinds = {m.__name__: refs[(m, mode)]["$ref"] for m, mode in models}
    return ({"$schema": "https://json-schema.org/draft/2020-12/schema",
             "definitions": defs, "kinds": kinds},
            f"hera {version('hera')} pydantic models (strict, derived in memory)")


def validators(base: dict) -> dict[str, Any]:
    kinds = base.pop("kinds")
    cls = jsonschema.validators.validator_for(base)
    cls.check_schema(base)  # once: the injected keywords must keep it a valid schema
    return {kind: cls(dict(base, **{"$ref": ref})) for kind, ref in kinds.items()}


def official_schema_path(cli: str | None) -> str | None:
    """--schema, then $ARGO_WORKFLOW_SCHEMA (both must exist), then the sibling copy."""
    for given in (cli, os.environ.get("ARGO_WORKFLOW_SCHEMA")):
        if given:
            if not os.path.isfile(given):
                die(f"Argo's JSON schema is missing: {given}")
            return given
    return SIBLING_SCHEMA if os.path.isfile(SIBLING_SCHEMA) else None


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
    ap.add_argument("--schema", default=None,
                    help="Argo's api/jsonschema/schema.json, checked in addition to the "
                    "hera-derived schema (default: $ARGO_WORKFLOW_SCHEMA, else "
                    f"{SIBLING_SCHEMA} if present)")
    args = ap.parse_args()
    started = time.monotonic()
    if shutil.which("shellcheck") is None:
        die("`shellcheck` is not on PATH (Debian: apt-get install shellcheck; or bash .ci/run)")
    hera_base, hera_label = hera_schema()
    schemas = [("hera", validators(hera_base))]  # always: never pass unchecked
    used = [hera_label]
    official = official_schema_path(args.schema)
    if official is not None:
        schemas.append(("argo", validators(strict_schema(official))))
        used.append(f"Argo schema.json {official}")
    vals = schemas[0][1]
    print("schemas: " + " + ".join(used))

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
            for sname, svals in schemas:
                if kind not in svals:
                    failures.append(f"FAIL {path}: {label}: schema ({sname}): no {kind} "
                                    "definition")
                    continue
                errors = sorted(svals[kind].iter_errors(doc),
                                key=lambda e: list(map(str, e.path)))
                for e in errors:
                    where = ".".join(str(p) for p in e.absolute_path) or "<root>"
                    msg = e.message
                    if e.context:  # oneOf/anyOf: show the closest branch's reason
                        best = jsonschema.exceptions.best_match(e.context)
                        msg += (f" (closest: {'.'.join(map(str, best.absolute_path))}: "
                                f"{best.message})")
                    failures.append(f"FAIL {path}: {label}: schema ({sname}): {where}: {msg}")
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
