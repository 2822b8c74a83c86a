#!/usr/bin/env python3
"""Hold every pod spec to the Kubernetes Pod Security Standard "restricted".

    check_pod_security.py [--objects FILE ...] [--workflow FILE ...]
                          [--exception CONTAINER ...]

--objects: a JSON list of rendered objects (check_chart.py --dump-objects);
every pod template of a Deployment, StatefulSet, DaemonSet, ReplicaSet, Job,
CronJob, and every Pod, is checked. --workflow: an Argo Workflow (YAML, as
`fabchart flow` prints it); each template that runs a container of ours
(script, container) is checked as the pod Argo makes for it: the workflow's
pod security context (spec.securityContext, under the template's own), the
template's container and volumes. Argo's own containers (init, wait, the
resource templates' executor) are the controller's to configure.

--exception: containers named so are reported, not failed (the chart's
privileged dind sidecar, the documented exception).

The rules are the standard's, "baseline" and "restricted" together
(https://kubernetes.io/docs/concepts/security/pod-security-standards/,
policy version v1.29 and later). Exit status 0 when every pod passes, 1 on
any violation, 2 on bad usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import yaml

WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}
ALLOWED_VOLUMES = {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
                   "persistentVolumeClaim", "projected", "secret"}
SAFE_SYSCTLS = {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
                "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
                "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
                "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
                "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"}
SELINUX_TYPES = {None, "", "container_t", "container_init_t", "container_kvm_t",
                 "container_engine_t"}


def violations(pod: dict, containers: list[dict], exceptions: set[str]) -> tuple[list[str], list[str]]:
    """(violations, excepted) of one pod: its spec and its containers."""
    out: list[str] = []
    excepted: list[str] = []
    psc = pod.get("securityContext") or {}
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(field):
            out.append(f"{field} is set")
    for v in pod.get("volumes") or []:
        kinds = set(v) - {"name"}
        bad = kinds - ALLOWED_VOLUMES
        if bad:
            out.append(f"volume {v.get('name')}: type {sorted(bad)} not allowed")
    for s in psc.get("sysctls") or []:
        if s.get("name") not in SAFE_SYSCTLS:
            out.append(f"sysctl {s.get('name')} not allowed")
    if (psc.get("seLinuxOptions") or {}).get("type") not in SELINUX_TYPES:
        out.append("pod seLinuxOptions.type not allowed")
    if psc.get("runAsUser") == 0:
        out.append("pod runAsUser is 0")
    pod_seccomp = (psc.get("seccompProfile") or {}).get("type")
    if pod_seccomp == "Unconfined":
        out.append("pod seccompProfile is Unconfined")
    pod_nonroot = psc.get("runAsNonRoot") is True
    if (psc.get("appArmorProfile") or {}).get("type") == "Unconfined":
        out.append("pod appArmorProfile is Unconfined")
    for c in containers:
        name = c.get("name") or "<main>"
        sc = c.get("securityContext") or {}
        found: list[str] = []
        if sc.get("privileged"):
            found.append("privileged")
        caps = sc.get("capabilities") or {}
        added = set(caps.get("add") or []) - {"NET_BIND_SERVICE"}
        if added:
            found.append(f"adds capabilities {sorted(added)}")
        if "ALL" not in (caps.get("drop") or []):
            found.append("does not drop ALL capabilities")
        if sc.get("allowPrivilegeEscalation") is not False:
            found.append("allowPrivilegeEscalation is not false")
        nonroot = sc.get("runAsNonRoot")
        if nonroot is False or (nonroot is None and not pod_nonroot):
            found.append("runAsNonRoot is not true (pod or container)")
        if sc.get("runAsUser") == 0:
            found.append("runAsUser is 0")
        seccomp = (sc.get("seccompProfile") or {}).get("type") or pod_seccomp
        if seccomp not in ("RuntimeDefault", "Localhost"):
            found.append(f"seccompProfile is {seccomp or 'unset'} (pod or container)")
        if (sc.get("seLinuxOptions") or {}).get("type") not in SELINUX_TYPES:
            found.append("seLinuxOptions.type not allowed")
        if sc.get("procMount") not in (None, "Default"):
            found.append("procMount is not Default")
        if (sc.get("appArmorProfile") or {}).get("type") == "Unconfined":
            found.append("appArmorProfile is Unconfined")
        if sc.get("windowsOptions", {}).get("hostProcess"):
            found.append("hostProcess")
        for p in c.get("ports") or []:
            if p.get("hostPort"):
                found.append(f"hostPort {p['hostPort']}")
        if name in exceptions:
            if found:
                excepted.append(f"container {name}: {', '.join(found)}")
        else:
            out += [f"container {name}: {f}" for f in found]
    return out, excepted


def pods_of(obj: dict) -> list[tuple[str, dict, list[dict]]]:
    """(label, pod spec, containers) of every pod an object starts."""
    kind = obj.get("kind")
    name = (obj.get("metadata") or {}).get("name") or (obj.get("metadata") or {}).get("generateName")
    label = f"{kind}/{name}"
    if kind in WORKLOADS:
        spec = obj["spec"]["template"]["spec"]
    elif kind == "CronJob":
        spec = obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    elif kind == "Pod":
        spec = obj["spec"]
    elif kind == "Workflow":
        return workflow_pods(obj, label)
    else:
        return []
    containers = (spec.get("initContainers") or []) + spec.get("containers", []) + \
        (spec.get("ephemeralContainers") or [])
    return [(label, spec, containers)]


def workflow_pods(wf: dict, label: str) -> list[tuple[str, dict, list[dict]]]:
    spec = wf["spec"]
    out = []
    for t in spec.get("templates", []):
        container = t.get("script") or t.get("container")
        if not container:
            continue
        psc = dict(spec.get("securityContext") or {})
        psc.update(t.get("securityContext") or {})
        pod = {
            "securityContext": psc,
            "volumes": (spec.get("volumes") or []) + (t.get("volumes") or []),
            "hostNetwork": spec.get("hostNetwork"),
        }
        out.append((f"{label} template {t['name']}", pod, [dict(container, name=t["name"])]))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--objects", action="append", default=[], metavar="FILE")
    ap.add_argument("--workflow", action="append", default=[], metavar="FILE")
    ap.add_argument("--exception", action="append", default=[], metavar="CONTAINER")
    args = ap.parse_args()
    objects: list[Any] = []
    for path in args.objects:
        with open(path, encoding="utf-8") as f:
            objects += json.load(f)
    for path in args.workflow:
        with open(path, encoding="utf-8") as f:
            objects += [d for d in yaml.safe_load_all(f) if d]
    if not objects:
        print("check_pod_security: no objects given", file=sys.stderr)
        return 2
    failures = 0
    checked = 0
    for obj in objects:
        for label, pod, containers in pods_of(obj):
            checked += 1
            bad, excepted = violations(pod, containers, set(args.exception))
            for line in bad:
                print(f"FAIL {label}: {line}")
            for line in excepted:
                print(f"EXCEPTION {label}: {line}")
            failures += len(bad)
    print(f"{checked} pods checked against Pod Security \"restricted\", {failures} violations")
    return 1 if failures or not checked else 0


if __name__ == "__main__":
    sys.exit(main())
