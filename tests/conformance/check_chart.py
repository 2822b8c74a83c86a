#!/usr/bin/env python3
"""Check a Helm chart with a real Helm engine and Kubernetes' own schemas.

    check_chart.py CHART_DIR [--values FILE ...] [--set-json JSON ...]
                   [--allow-kind APIVERSION/KIND ...] [--crd FILE ...]
                   [--manifest FILE ...] [--dump-objects FILE]

1. `helm lint --strict` (the `helm` binary if one is on PATH, else Helm 4
   embedded through helm-python-sdk), once per Kubernetes version below.
   Any warning or error fails; info messages are printed only.
2. Render the chart (`helm template`, or helm-python-sdk's offline render).
3. Split every rendered manifest into YAML documents and validate each object
   with kubernetes-validate in strict mode (unknown fields rejected) against
   Kubernetes 1.29 and against the newest version the package knows.
   An object whose kind has no schema fails, unless its `apiVersion/kind`
   (e.g. `argoproj.io/v1alpha1/Workflow`) is given with --allow-kind, or a
   CustomResourceDefinition given with --crd defines it: then it is
   validated against the CRD's openAPIV3Schema (jsonschema), strictly: a
   field the schema does not name fails, as the API server would prune it.
   Two objects with the same apiVersion group, kind, namespace and name fail.

Values: --values files apply in order, then --set-json arguments in order.
--set-json takes Helm's `path=JSON` form (`peer.replicas=2`) or a whole JSON
object (`{"peer": {"replicas": 2}}`), which merges like a values file.

Exit status: 0 when everything passes, 1 on any finding, 2 on bad usage or
a missing tool. Never skips.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any

import yaml

MIN_KUBE = "1.29"

# Objects the chart may not render: parse errors, non-objects etc. are
# reported with this "kind/name".
UNKNOWN = "<unparsed>"


def die(msg: str, code: int = 2) -> None:
    print(f"check_chart: {msg}", file=sys.stderr)
    sys.exit(code)


try:
    import kubernetes_validate
    from kubernetes_validate import utils as kv_utils
except ImportError as exc:  # pragma: no cover - environment problem
    die(f"cannot import kubernetes_validate ({exc}); run: pip install -r "
        "tests/conformance/requirements.txt")


# --- YAML loading: the way Kubernetes reads manifests ----------------------

class KubeLoader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1 timestamps (the API server sees strings)
    and with the `=` value tag PyYAML chokes on (yaml/pyyaml#89)."""


KubeLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
KubeLoader.add_constructor(
    "tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node)
)


# --- values ---------------------------------------------------------------

def merge_maps(a: dict, b: dict) -> dict:
    """Helm's mergeMaps: later maps win, nested maps merge recursively."""
    out = dict(a)
    for k, v in b.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge_maps(out[k], v)
        else:
            out[k] = v
    return out


def split_set_json(items: list[str]) -> tuple[list[dict], list[str]]:
    """Whole-object --set-json arguments (decoded) and `path=JSON` ones."""
    objects, exprs = [], []
    for item in items:
        if item.lstrip().startswith("{"):
            try:
                obj = json.loads(item)
            except json.JSONDecodeError as exc:
                die(f"--set-json {item!r}: not valid JSON: {exc}")
            if not isinstance(obj, dict):
                die(f"--set-json {item!r}: not a JSON object")
            objects.append(obj)
        else:
            if "=" not in item:
                die(f"--set-json {item!r}: expected path=JSON or a JSON object")
            exprs.append(item)
    return objects, exprs


def load_values_file(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.load(f, Loader=KubeLoader)
    except (OSError, yaml.YAMLError) as exc:
        die(f"--values {path}: {exc}")
    if data is None:
        return {}
    if not isinstance(data, dict):
        die(f"--values {path}: not a YAML mapping")
    return data


# --- engines --------------------------------------------------------------

class BinaryHelm:
    name = "helm binary"

    def __init__(self, exe: str, chart: str, values: list[str], set_objects: list[dict],
                 set_exprs: list[str], release: str, namespace: str, tmp: str):
        self.exe, self.chart, self.release, self.namespace = exe, chart, release, namespace
        args: list[str] = []
        for v in values:
            args += ["-f", v]
        for i, obj in enumerate(set_objects):
            p = os.path.join(tmp, f"set-json-{i}.json")
            with open(p, "w", encoding="utf-8") as f:
                json.dump(obj, f)
            args += ["-f", p]
        for e in set_exprs:
            args += ["--set-json", e]
        self.value_args = args
        out = subprocess.run([exe, "version", "--short"], capture_output=True, text=True)
        self.name = f"helm binary {exe} ({out.stdout.strip() or out.stderr.strip()})"

    def lint(self, kube_version: str) -> tuple[list[str], list[str]]:
        """(failures, infos)"""
        cmd = [self.exe, "lint", "--strict", "--kube-version", f"v{kube_version}.0",
               "--namespace", self.namespace, *self.value_args, self.chart]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        text = (proc.stdout + proc.stderr).strip()
        infos = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("[INFO]")]
        if proc.returncode != 0:
            return [f"`{' '.join(cmd)}` exited {proc.returncode}:\n{text}"], infos
        # --strict makes warnings fail the exit status; be explicit anyway.
        bad = [ln.strip() for ln in text.splitlines()
               if ln.strip().startswith(("[WARNING]", "[ERROR]"))]
        return bad, infos

    def render(self) -> dict[str, str]:
        cmd = [self.exe, "template", self.release, self.chart, "--namespace", self.namespace,
               "--include-crds", *self.value_args]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RenderError(f"`{' '.join(cmd)}` exited {proc.returncode}:\n"
                              f"{proc.stderr.strip()}")
        # Re-group the stream by its `# Source:` comments.
        out: dict[str, list[str]] = {}
        for doc in re.split(r"(?m)^---[ \t]*$", proc.stdout):
            m = re.search(r"(?m)^# Source: (.+)$", doc)
            src = m.group(1).strip() if m else "<no source>"
            out.setdefault(src, []).append(doc)
        return {k: "\n---\n".join(v) for k, v in out.items()}


class SdkHelm:
    def __init__(self, chart: str, values: list[str], set_objects: list[dict],
                 set_exprs: list[str], release: str, namespace: str):
        try:
            import helm_python
        except ImportError as exc:
            die(f"no `helm` on PATH and cannot import helm_python ({exc}); run: "
                "pip install -r tests/conformance/requirements.txt")
        self.h = helm_python
        self.chart, self.release, self.namespace = chart, release, namespace
        merged: dict[str, Any] = {}
        for v in values:
            merged = merge_maps(merged, load_values_file(v))
        for obj in set_objects:
            merged = merge_maps(merged, obj)
        for e in set_exprs:
            try:
                merged = merge_maps(merged, helm_python.parse_set_json(e))
            except helm_python.HelmError as exc:
                die(f"--set-json {e!r}: {exc}")
        self.values = merged
        self.name = (f"helm-python-sdk {helm_python.__version__} "
                     f"(Helm SDK {helm_python.helm_sdk_version()})")

    def lint(self, kube_version: str) -> tuple[list[str], list[str]]:
        rep = self.h.lint(self.chart, self.values, strict=True, namespace=self.namespace,
                          kube_version=f"v{kube_version}.0")
        names = {0: "UNKNOWN", 1: "INFO", 2: "WARNING", 3: "ERROR"}
        bad, infos = [], []
        for m in rep.get("messages") or []:
            sev = m.get("severity", 0)
            line = f"[{names.get(sev, sev)}] {m.get('path', '')}: {m.get('error', '')}"
            # UNKNOWN (0) is not a known-harmless level: treat it as a failure.
            (infos if sev == 1 else bad).append(line)
        for e in rep.get("errors") or []:
            line = f"[ERROR] {e}"
            if line not in bad and not any(str(e) in b for b in bad):
                bad.append(line)
        return bad, infos

    def render(self) -> dict[str, str]:
        try:
            with self.h.Chart.load(self.chart) as chart:
                out = chart.render(self.values, name=self.release, namespace=self.namespace,
                                   is_install=True)
                for crd in chart.crds:
                    out[f"{crd.get('filename') or crd.get('name')} (crd)"] = crd["data"]
        except self.h.HelmError as exc:
            raise RenderError(f"{type(exc).__name__}: {exc}") from exc
        return out


class RenderError(Exception):
    pass


# --- validation -----------------------------------------------------------

def strict_schema(schema: Any) -> Any:
    """A CRD's structural schema as a strict JSON schema: objects with
    `properties` and no `additionalProperties` or
    `x-kubernetes-preserve-unknown-fields` take no other field."""
    if isinstance(schema, list):
        return [strict_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: strict_schema(v) for k, v in schema.items()}
    if ("properties" in out and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")):
        out["additionalProperties"] = False
    return out


def load_crds(paths: list[str]) -> dict[tuple[str, str], Any]:
    """(apiVersion, kind) -> strict schema of each served version."""
    out: dict[tuple[str, str], Any] = {}
    for path in paths:
        try:
            with open(path, encoding="utf-8") as fh:
                docs = [d for d in yaml.load_all(fh, Loader=KubeLoader) if d]
        except (OSError, yaml.YAMLError) as exc:
            die(f"--crd {path}: {exc}")
        for crd in docs:
            if crd.get("kind") != "CustomResourceDefinition":
                die(f"--crd {path}: not a CustomResourceDefinition")
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                schema = version["schema"]["openAPIV3Schema"]
                out[(f"{group}/{version['name']}", kind)] = strict_schema(schema)
    return out


def validate_custom(obj: dict, schema: Any) -> list[str]:
    import jsonschema
    validator = jsonschema.Draft7Validator(schema)
    return [f"{'.'.join(str(p) for p in e.path) or '<root>'}: {e.message}"
            for e in sorted(validator.iter_errors(obj), key=lambda e: list(e.path))]

def pick_versions() -> tuple[str, str]:
    known = [kv_utils.major_minor(v) for v in kv_utils.all_versions()]
    newest = kv_utils.major_minor(kubernetes_validate.latest_version())
    if MIN_KUBE not in known:
        die(f"kubernetes-validate {kubernetes_validate.__version__} has no schemas "
            f"for Kubernetes {MIN_KUBE} (it has {', '.join(known)})")
    return MIN_KUBE, newest


def object_label(obj: Any) -> str:
    if not isinstance(obj, dict):
        return UNKNOWN
    meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    return f"{obj.get('kind', '<no kind>')}/{meta.get('name', '<no name>')}"


def is_template(path: str) -> bool:
    base = os.path.basename(path.split(" ")[0])
    return not (base == "NOTES.txt" or base.startswith("_"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("chart", metavar="CHART_DIR")
    ap.add_argument("--values", "-f", action="append", default=[], metavar="FILE")
    ap.add_argument("--set-json", action="append", default=[], metavar="JSON")
    ap.add_argument("--allow-kind", action="append", default=[], metavar="APIVERSION/KIND",
                    help="kind without a Kubernetes schema that may pass unvalidated, "
                         "e.g. argoproj.io/v1alpha1/Workflow")
    ap.add_argument("--crd", action="append", default=[], metavar="FILE",
                    help="CustomResourceDefinition whose kinds are validated against its schema")
    ap.add_argument("--manifest", action="append", default=[], metavar="FILE",
                    help="plain manifest applied beside the chart (e.g. the keys folder's "
                         "hlf-kube-secrets.yaml): validated with the rendered objects, and "
                         "no object may be in both")
    ap.add_argument("--dump-objects", metavar="FILE",
                    help="also write the rendered objects (JSON list) to FILE")
    ap.add_argument("--release-name", default="hlf-kube")
    ap.add_argument("--namespace", default="default")
    ap.add_argument("--engine", choices=["auto", "binary", "sdk"], default="auto",
                    help="auto: the helm binary if on PATH, else helm-python-sdk")
    args = ap.parse_args()

    started = time.monotonic()
    if not os.path.isfile(os.path.join(args.chart, "Chart.yaml")):
        die(f"{args.chart}: no Chart.yaml")
    for v in args.values:
        if not os.path.isfile(v):
            die(f"--values {v}: no such file")
    set_objects, set_exprs = split_set_json(args.set_json)
    allowed = set(args.allow_kind)
    crds = load_crds(args.crd)
    versions = pick_versions()

    helm_exe = shutil.which("helm")
    if args.engine == "binary" and not helm_exe:
        die("--engine binary: no `helm` on PATH")
    failures: list[str] = []

    with tempfile.TemporaryDirectory(prefix="check_chart.") as tmp:
        if helm_exe and args.engine != "sdk":
            engine: Any = BinaryHelm(helm_exe, args.chart, args.values, set_objects, set_exprs,
                                     args.release_name, args.namespace, tmp)
        else:
            engine = SdkHelm(args.chart, args.values, set_objects, set_exprs,
                             args.release_name, args.namespace)
        print(f"check_chart: {args.chart} with {engine.name}; "
              f"kubernetes-validate {kubernetes_validate.__version__}")

        # (a) lint
        seen_infos: set[str] = set()
        for kv in versions:
            bad, infos = engine.lint(kv)
            for line in infos:
                if line not in seen_infos:
                    seen_infos.add(line)
                    print(f"note: helm lint: {line}")
            for line in bad:
                failures.append(f"FAIL helm lint --strict (kube {kv}): {line}")

        # (b) render
        try:
            rendered = engine.render()
        except RenderError as exc:
            failures.append(f"FAIL render: {exc}")
            rendered = {}

        # (c) validate
        objects: list[tuple[str, Any]] = []
        for path in sorted(rendered):
            if not is_template(path):
                continue
            try:
                docs = list(yaml.load_all(rendered[path], Loader=KubeLoader))
            except yaml.YAMLError as exc:
                failures.append(f"FAIL {path}: {UNKNOWN}: YAML does not parse: {exc}")
                continue
            objects += [(path, d) for d in docs if d is not None]
        if args.dump_objects:
            with open(args.dump_objects, "w", encoding="utf-8") as fh:
                json.dump([obj for _, obj in objects], fh, indent=1, sort_keys=True, default=str)
        for path in args.manifest:
            try:
                with open(path, encoding="utf-8") as fh:
                    docs = list(yaml.load_all(fh, Loader=KubeLoader))
            except (OSError, yaml.YAMLError) as exc:
                die(f"--manifest {path}: {exc}")
            if not any(d is not None for d in docs):
                failures.append(f"FAIL {path}: no objects")
            objects += [(path, d) for d in docs if d is not None]

        valid = 0
        allow_listed = 0
        identities: dict[tuple, str] = {}
        for path, obj in objects:
            label = object_label(obj)
            if not isinstance(obj, dict):
                failures.append(f"FAIL {path}: {label}: document is a {type(obj).__name__}, "
                                "not an object")
                continue
            api, kind = obj.get("apiVersion"), obj.get("kind")
            if not isinstance(api, str) or not isinstance(kind, str):
                failures.append(f"FAIL {path}: {label}: missing apiVersion or kind")
                continue
            meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
            ident = (api.split("/")[0] if "/" in api else "", kind,
                     meta.get("namespace", args.namespace), meta.get("name"))
            if ident in identities:
                failures.append(f"FAIL {path}: {label}: same object as in {identities[ident]}")
            else:
                identities[ident] = path

            if (api, kind) in crds:
                errors = validate_custom(obj, crds[(api, kind)])
                failures += [f"FAIL {path}: {label} (CRD schema): {e}" for e in errors]
                if not errors:
                    valid += 1
                continue
            ok = True
            for kv in versions:
                try:
                    got = kubernetes_validate.validate(obj, kv, strict=True)
                    if got != kv:
                        raise RuntimeError(f"validated against {got}, not {kv}")
                except kubernetes_validate.ValidationError as exc:
                    where = ".".join(str(p) for p in exc.path) or "<root>"
                    failures.append(f"FAIL {path}: {label} (k8s {kv}): {where}: {exc.message}")
                    ok = False
                except kubernetes_validate.SchemaNotFoundError as exc:
                    if f"{api}/{kind}" in allowed:
                        ok = None  # type: ignore[assignment]
                        break
                    failures.append(f"FAIL {path}: {label} (k8s {kv}): no schema for "
                                    f"{api} {kind} (allow it with --allow-kind {api}/{kind})")
                    ok = False
                except Exception as exc:  # noqa: BLE001 - any other problem is a failure
                    failures.append(f"FAIL {path}: {label} (k8s {kv}): cannot validate: "
                                    f"{type(exc).__name__}: {getattr(exc, 'message', exc)}")
                    ok = False
            if ok is None:
                allow_listed += 1
            elif ok:
                valid += 1

    for line in failures:
        print(line)
    took = time.monotonic() - started
    extra = f"; {allow_listed} objects of allow-listed kinds not validated" if allow_listed else ""
    print(f"{valid} objects valid for {versions[0]} and {versions[1]}{extra} "
          f"({len(objects)} rendered, {len(failures)} failures, {took:.1f}s)")
    if not objects and not failures:
        print("FAIL the chart rendered no objects")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
