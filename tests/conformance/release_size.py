#!/usr/bin/env python3
"""The size of the Secret Helm would store for a release of a chart.

    release_size.py CHART_DIR [--values FILE ...] [--json]

Helm keeps every release revision in one Secret (`sh.helm.release.v1.*`)
whose `release` key is base64(gzip(JSON of the release)); a Secret's data
holds at most 1 MiB (1048576 bytes). This builds that release the way Helm 3
and 4 do (pkg/storage/driver/util.go `encodeRelease`: encoding/json of
pkg/release/v1 `Release`, gzip.BestCompression, base64.StdEncoding) from
the chart as Helm's own loader reads it and the manifest a real Helm engine
renders (helm-python-sdk), and prints the stored size and each part's share.

The chart's `charts/` subcharts are rendered into the manifest but, as in
Helm (an unexported field of chart.Chart), not stored in the release.

Exit status: 0, or 2 on bad usage.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import pathlib
import sys
from typing import Any

import yaml

# releaseutil.InstallOrder: the order of kinds in the manifest.
INSTALL_ORDER = [
    "PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange",
    "PodSecurityPolicy", "PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList",
    "ConfigMap", "StorageClass", "PersistentVolume", "PersistentVolumeClaim",
    "CustomResourceDefinition", "ClusterRole", "ClusterRoleList", "ClusterRoleBinding",
    "ClusterRoleBindingList", "Role", "RoleList", "RoleBinding", "RoleBindingList", "Service",
    "DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment",
    "HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress",
    "APIService", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
]

LIMIT = 1024 * 1024


def go_json(value: Any) -> str:
    """encoding/json's compact form: sorted map keys, <>& escaped."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def b64(data: str | bytes) -> str:
    if isinstance(data, str):
        data = data.encode()
    return base64.b64encode(data).decode()


def sort_maps(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: sort_maps(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [sort_maps(v) for v in value]
    return value


def stored(text: str) -> int:
    """Bytes of the Secret's `release` key for this release JSON."""
    return len(b64(gzip.compress(text.encode(), compresslevel=9, mtime=0)))


def manifest_of(rendered: dict[str, str]) -> str:
    docs = []
    for path in sorted(rendered):
        base = path.rsplit("/", 1)[-1]
        if base == "NOTES.txt" or base.startswith("_"):
            continue
        for doc in rendered[path].split("\n---"):
            body = doc.strip("\n")
            if body.startswith("---"):
                body = body[3:].lstrip("\n")
            if not body.strip() or all(
                ln.strip() == "" or ln.lstrip().startswith("#") for ln in body.splitlines()
            ):
                continue
            try:
                kind = (yaml.safe_load(body) or {}).get("kind", "")
            except yaml.YAMLError:
                kind = ""
            rank = INSTALL_ORDER.index(kind) if kind in INSTALL_ORDER else len(INSTALL_ORDER)
            docs.append((rank, path, body))
    docs.sort(key=lambda d: d[0])
    return "".join(f"---\n# Source: {path}\n{body}\n" for _, path, body in docs)


def release(chart_dir: str, values_files: list[str]) -> tuple[dict, dict[str, str]]:
    import helm_python as h

    values: dict = {}
    for path in values_files:
        with open(path, encoding="utf-8") as f:
            values.update(yaml.safe_load(f) or {})
    with h.Chart.load(chart_dir) as chart:
        rendered = chart.render(values, name="hlf-kube", namespace="default", is_install=True)
        notes = "".join(v for k, v in rendered.items() if k.endswith("NOTES.txt"))
        # Names as Helm's loader sorts them; bytes from disk (the SDK hands
        # them over as text, which binary files do not survive).
        def raw(name: str) -> str:
            return b64((pathlib.Path(chart_dir) / name).read_bytes())

        schema = pathlib.Path(chart_dir) / "values.schema.json"
        chart_json = {
            "metadata": sort_maps(chart.metadata),
            "lock": None,
            "templates": [{"name": t["name"], "data": raw(t["name"])} for t in chart.templates],
            "values": sort_maps(chart.values),
            "schema": b64(schema.read_bytes()) if schema.is_file() else None,
            "files": [{"name": f["name"], "data": raw(f["name"])} for f in chart.files],
        }
    parts = {
        "chart.files": go_json(chart_json["files"]),
        "chart.templates": go_json(chart_json["templates"]),
        "chart.values+schema+metadata": go_json(
            [chart_json["values"], chart_json["schema"], chart_json["metadata"]]),
        "manifest": go_json(manifest_of(rendered)),
    }
    rel = {
        "name": "hlf-kube",
        "info": {
            "first_deployed": "2025-01-01T00:00:00Z",
            "last_deployed": "2025-01-01T00:00:00Z",
            "deleted": "",
            "description": "Install complete",
            "status": "deployed",
            "notes": notes,
        },
        "chart": chart_json,
        "config": sort_maps(values),
        "manifest": manifest_of(rendered),
        "version": 1,
        "namespace": "default",
    }
    return rel, parts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("chart", metavar="CHART_DIR")
    ap.add_argument("--values", "-f", action="append", default=[], metavar="FILE")
    ap.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = ap.parse_args()
    rel, parts = release(args.chart, args.values)
    text = go_json(rel)
    total = stored(text)
    report = {
        "json_bytes": len(text.encode()),
        "stored_bytes": total,
        "limit": LIMIT,
        "parts": {name: {"json_bytes": len(p.encode()), "stored_bytes": stored(p)}
                  for name, p in parts.items()},
    }
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print(f"release JSON {report['json_bytes']} bytes, stored {total} bytes "
              f"({100 * total / LIMIT:.1f}% of 1 MiB)")
        for name, p in report["parts"].items():
            print(f"  {name}: JSON {p['json_bytes']}, alone stored {p['stored_bytes']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
