"""The chart's pods as local processes, for the e2e harness (run.py).

Network plans the pods of the rendered StatefulSets and Deployments (names,
IPs, claims, Service names and hostAliases in /etc/hosts), gives each a
network namespace of its own on a bridge, starts each container as the
kubelet would (kube.py), waits for its readinessProbe and checks each
process against its container from /proc (check_pods, mismatches). It also
stands in for the API server and the StatefulSet controller where the
backup and restore flows' resource templates need them (kube_get,
kube_patch: replicas carried out on the process table), and gives the
harness an org admin's peer CLI environment (admin_cli).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field

import yaml

from kube import (
    BRIDGE,
    BRIDGE_IP,
    LAUNCHER,
    NAMESPACE,
    Filesystems,
    Image,
    Launch,
    Objects,
    container_env,
    expand,
    identity,
    materialize,
    merge,
    own_volume,
    render,
    run,
    runtime_env,
)


def terminate(procs: list[subprocess.Popen]) -> None:
    """As the kubelet stops containers: SIGTERM, then SIGKILL after the grace period."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class Container:
    """A container of a pod, started: its Launch, the image it stands for, its process."""

    spec: dict
    image: Image
    launch: Launch
    log: pathlib.Path
    proc: subprocess.Popen | None = None


@dataclass
class Pod:
    name: str
    workload: dict
    ip: str
    labels: dict
    spec: dict
    claims: dict[str, str] = field(default_factory=dict)  # volume name -> claim name
    containers: list[Container] = field(default_factory=list)
    running: bool = False

    def as_object(self) -> dict:
        """The pod as the downward API sees it."""
        return {
            "metadata": {"name": self.name, "labels": self.labels},
            "spec": self.spec,
            "status": {"podIP": self.ip},
        }


class Network:
    """The chart's pods (orderers, peers, chaincode servers) as local processes,
    started from the rendered StatefulSets and Deployments."""

    def __init__(self, chart: pathlib.Path, work: pathlib.Path, args: argparse.Namespace, fs: Filesystems):
        self.chart, self.work, self.args, self.fs = chart, work, args, fs
        self.read_topology()
        self.tls = self.net["settings"]["tlsEnabled"]
        values_file = args.project / "values.yaml"
        project_values = yaml.safe_load(values_file.read_text()) if values_file.exists() else {}
        self.values = merge(project_values or {}, {"peer": {"stateDatabase": "goleveldb"}})
        self.pods: list[Pod] = []
        # Pods a StatefulSet with updateStrategy OnDelete has a newer spec for:
        # pod name -> the pod it starts once the running one is deleted.
        self.pending: dict[str, Pod] = {}
        self.deleted: list[str] = []  # pods deleted by flows, in turn
        self.live: dict[str, dict] = {}  # StatefulSet name -> its object, patched
        self.hosts: dict[str, str] = {}  # Service names -> IP
        self.aliases: list[dict] = []
        # One of several clusters (crosscluster.py): its pods' IPs are
        # 10.254.<1 + subnet + ...>, its veths e2e<subnet>v<n>.
        self.subnet: int = getattr(args, "subnet", 0)
        self.plan()

    # -- what runs where --------------------------------------------------

    def read_topology(self) -> None:
        """The compiled network (topology.json) and its local orgs by name."""
        self.topology = json.loads((self.chart / "topology.json").read_text())
        self.net = self.topology["network"]
        self.orgs = {o["name"]: o for o in self.net["orgs"] if not o["external"]}

    def plan(self) -> None:
        """Pods and their IPs from a render; with useActualDomains, the
        hostAliases the README has the operator collect, and a render with them."""
        self.objects = Objects(render(self.chart, self.values))
        self.pods = self.make_pods()
        self.hosts = self.service_hosts()
        if self.net["settings"]["useActualDomains"]:
            self.aliases = [
                {"ip": self.hosts[svc["metadata"]["name"]], "hostnames": [svc["metadata"]["labels"]["fqdn"]]}
                for svc in self.objects.kind("Service")
                if svc["metadata"].get("labels", {}).get("addToHostAliases") == "true"
                and svc["metadata"]["name"] in self.hosts
            ]
            self.values = merge(self.values, {"hostAliases": self.aliases})
            self.objects = Objects(render(self.chart, self.values))
            before = [(p.name, p.ip) for p in self.pods]
            self.pods = self.make_pods()
            assert [(p.name, p.ip) for p in self.pods] == before, "pods changed with hostAliases"

    def make_pods(self) -> list[Pod]:
        pods = []
        for workload in self.objects.docs:
            if workload["kind"] not in ("StatefulSet", "Deployment"):
                if workload["kind"] in ("DaemonSet", "Job", "CronJob", "Pod", "ReplicaSet"):
                    raise SystemExit(
                        f"{workload['kind']} {workload['metadata']['name']}: not run by the harness"
                    )
                continue
            name, spec = workload["metadata"]["name"], workload["spec"]
            template = spec["template"]
            if spec.get("template", {}).get("spec", {}).get("initContainers"):
                raise SystemExit(f"{name}: initContainers are not run by the harness")
            images = [self.fs.image(c["image"]) for c in template["spec"]["containers"]]
            if None in images:
                print(
                    f"{workload['kind']} {name} NOT RUN: its image is a chaincode's and there is no --chaincode"
                )
                continue
            for i in range(spec.get("replicas", 1)):
                n = len(pods)
                pod = Pod(
                    f"{name}-{i}",
                    workload,
                    f"10.254.{1 + self.subnet + n // 250}.{2 + n % 250}",
                    template["metadata"].get("labels", {}),
                    template["spec"],
                )
                for claim in (
                    spec.get("volumeClaimTemplates", []) if workload["kind"] == "StatefulSet" else []
                ):
                    pod.claims[claim["metadata"]["name"]] = f"{claim['metadata']['name']}-{pod.name}"
                pods.append(pod)
        return pods

    @staticmethod
    def ports(pod: Pod) -> dict[str, int]:
        return {
            p["name"]: p["containerPort"]
            for c in pod.spec["containers"]
            for p in c.get("ports", [])
            if "name" in p
        }

    def service_hosts(self) -> dict[str, str]:
        """Service name -> the IP of the first pod it selects (no kube-proxy:
        only a Service whose ports are its pods' ports can be stood in for so)."""
        hosts = {}
        for svc in self.objects.kind("Service"):
            selector = svc["spec"].get("selector")
            if not selector:
                continue
            pods = [p for p in self.pods if selector.items() <= p.labels.items()]
            if not pods:
                continue
            remapped = []
            for port in svc["spec"]["ports"]:
                target = port.get("targetPort", port["port"])
                target = self.ports(pods[0]).get(target) if isinstance(target, str) else target
                if target != port["port"]:
                    remapped.append(f"{port['port']} -> {target}")
            if remapped:
                print(
                    f"Service {svc['metadata']['name']} NOT RESOLVED: it maps ports ({', '.join(remapped)})"
                )
                continue
            hosts[svc["metadata"]["name"]] = pods[0].ip
        return hosts

    def hosts_lines(self) -> list[str]:
        """Cluster DNS's answers for Service names, as hosts lines."""
        domain = f"{NAMESPACE}.svc.cluster.local"
        return [
            f"{ip}\t{name} {name}.{NAMESPACE} {name}.{NAMESPACE}.svc {name}.{domain}\n"
            for name, ip in self.hosts.items()
        ]

    def pod_hosts(self, pod: Pod) -> pathlib.Path:
        """The pod's /etc/hosts as the kubelet writes it, then the Service names."""
        spec = pod.spec
        hostname = spec.get("hostname", pod.name)
        fqdn = (
            f" {hostname}.{pod.workload['spec']['serviceName']}.{NAMESPACE}.svc.cluster.local"
            if pod.workload["kind"] == "StatefulSet" and pod.workload["spec"].get("serviceName")
            else ""
        )
        text = "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n"
        text += f"{pod.ip}\t{hostname}{fqdn}\n"
        if spec.get("hostAliases"):
            text += "\n# Entries added by HostAliases.\n"
            text += "".join(f"{a['ip']}\t{' '.join(a['hostnames'])}\n" for a in spec["hostAliases"])
        text += "\n# e2e: cluster DNS, for Service names.\n" + "".join(self.hosts_lines())
        path = self.work / "pods" / pod.name / "hosts"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    # -- network ------------------------------------------------------------

    def setup(self, bridge: bool = True) -> None:
        """The bridge (unless another cluster made it), a network namespace
        per pod, /etc/hosts of the harness (and so of the workflow steps):
        Service names and hostAliases."""
        if bridge:
            run(["ip", "link", "set", "lo", "up"])
            run(["ip", "link", "add", BRIDGE, "type", "bridge"])
            run(["ip", "addr", "add", f"{BRIDGE_IP}/16", "dev", BRIDGE])
            run(["ip", "link", "set", BRIDGE, "up"])
        (self.work / "netns").mkdir()
        for n, pod in enumerate(self.pods):
            ns = self.netns(pod)
            ns.touch()
            run(["unshare", f"--net={ns}", "true"])
            veth = f"e2e{self.subnet}v{n}"
            inside = [
                f"ip link add eth0 type veth peer name {veth}",
                f"ip link set {veth} netns {os.getpid()}",
                f"ip addr add {pod.ip}/16 dev eth0",
                "ip link set eth0 up",
                "ip link set lo up",
                f"ip route add default via {BRIDGE_IP}",
            ]
            run(["nsenter", f"--net={ns}", "sh", "-c", " && ".join(inside)])
            run(["ip", "link", "set", veth, "master", BRIDGE, "up"])
        self.bind_hosts()

    def bind_hosts(self) -> None:
        """/etc/hosts of the harness and the workflow steps it runs: this
        cluster's Service names, the collected hostAliases and those the
        flows' pods get (other clusters' nodes, from their bundles)."""
        hosts = self.work / "hosts"
        aliases = self.aliases + self.net.get("hostAliases", [])
        hosts.write_text(
            "127.0.0.1\tlocalhost\n"
            + "".join(self.hosts_lines())
            + "".join(f"{a['ip']}\t{' '.join(a['hostnames'])}\n" for a in aliases)
        )
        run(["mount", "--bind", hosts, "/etc/hosts"])

    def netns(self, pod: Pod) -> pathlib.Path:
        return self.work / "netns" / pod.name

    # -- pods ---------------------------------------------------------------

    def volume_source(self, pod: Pod, name: str) -> pathlib.Path:
        if name in pod.claims:
            return self.work / "claims" / pod.claims[name]
        return self.work / "pods" / pod.name / "volumes" / name

    def prepare(self, pod: Pod) -> None:
        """Volumes laid out, and a Launch per container."""
        pod.containers = []
        for volume in pod.spec.get("volumes", []):
            materialize(volume, self.objects, self.volume_source(pod, volume["name"]))
        for claim in pod.claims:
            self.volume_source(pod, claim).mkdir(parents=True, exist_ok=True)
        security = pod.spec.get("securityContext") or {}
        for volume in pod.spec.get("volumes", []):
            writable = "emptyDir" in volume or "persistentVolumeClaim" in volume
            own_volume(self.volume_source(pod, volume["name"]), security.get("fsGroup"), writable)
        for claim in pod.claims:
            own_volume(self.volume_source(pod, claim), security.get("fsGroup"), True)
        hosts = self.pod_hosts(pod)
        for c in pod.spec["containers"]:
            image = self.fs.image(c["image"])
            own = container_env(c, self.objects, pod.as_object())
            env = dict(image.env)
            env.update({k: v for k, v in runtime_env(pod.name).items() if k == "HOSTNAME" or k not in env})
            env.update(own)
            command = c.get("command") or image.entrypoint
            args = c["args"] if "args" in c else ([] if c.get("command") else image.cmd)
            argv = [expand(a, own) for a in [*command, *args]]
            mounts = self.fs.mounts(image, self.work / "pods" / pod.name / "image" / c["name"])
            for m in c.get("volumeMounts", []):
                source = self.volume_source(pod, m["name"]) / expand(m.get("subPath", ""), own)
                mounts.append((str(source), m["mountPath"], bool(m.get("readOnly"))))
            mounts.append((str(hosts), "/etc/hosts", False))
            spec = Launch(argv, env, mounts, pod.spec.get("hostname", pod.name), c.get("workingDir", "/"),
                          **identity(security, c))
            log = self.work / "pods" / pod.name / f"{c['name']}.log"
            pod.containers.append(Container(c, image, spec, log))

    def start(self) -> None:
        for pod in self.pods:
            self.start_pod(pod)
        self.wait_ready()
        self.check_pods()
        self.record_live()

    def record_live(self) -> None:
        """The rendered StatefulSets as the cluster stand-in holds them."""
        for workload in self.objects.kind("StatefulSet"):
            self.live[workload["metadata"]["name"]] = json.loads(json.dumps(workload))

    def start_pod(self, pod: Pod) -> None:
        """The pod's containers, started (its claims' folders kept as they are)."""
        self.prepare(pod)
        pod.running = True
        for c in pod.containers:
            spec_file = c.launch.write(self.work / "pods" / pod.name / f"{c.spec['name']}.launch.json")
            cmd = [
                "nsenter",
                f"--net={self.netns(pod)}",
                "unshare",
                "--mount",
                "--uts",
                "--propagation",
                "private",
                sys.executable,
                LAUNCHER,
                "--launch",
                spec_file,
            ]
            with open(c.log, "a") as log:
                c.proc = subprocess.Popen(
                    [str(x) for x in cmd], env={}, cwd="/", stdout=log, stderr=subprocess.STDOUT
                )
        print(f"started {pod.name} ({pod.ip}): " + "; ".join(" ".join(c.launch.argv) for c in pod.containers))

    def upgrade(self) -> None:
        """`helm upgrade` to the chart as compiled now (and the values as they
        are now): every pod whose template changed is deleted (its emptyDirs
        with it, as Kubernetes deletes them) and started from the new one on
        the same claims, one at a time and ready before the next (orderers
        first, as Fabric's upgrade guide has it); the others run on. A
        StatefulSet with updateStrategy OnDelete leaves its pod running: the
        new one waits in `pending` until the pod is deleted (kube_delete)."""
        self.read_topology()
        old = {p.name: p for p in self.pods}
        self.objects = Objects(render(self.chart, self.values))
        pods = self.make_pods()
        assert [(p.name, p.ip) for p in pods] == [(p.name, p.ip) for p in self.pods], "the upgrade changed the pods"
        changed = []
        self.pending = {}
        for n, pod in enumerate(pods):
            before = old[pod.name]
            if pod.spec == before.spec:
                pod.containers, pod.running = before.containers, before.running
            elif pod.workload["spec"].get("updateStrategy", {}).get("type") == "OnDelete":
                self.pending[pod.name] = pod
                pods[n] = before
            else:
                changed.append(pod)
        self.pods = pods
        changed.sort(key=lambda p: "orderer" not in p.name)
        for pod in changed:
            self.replace_pod(old[pod.name], pod)
            self.wait_ready()
        self.check_pods()
        self.record_live()
        print(f"upgraded: {', '.join(p.name for p in changed) or 'no pod'} restarted from the new chart"
              + (f"; left running until deleted (OnDelete): {', '.join(self.pending)}" if self.pending else ""))

    def kube_delete(self, kind: str, name: str) -> None:
        """A pod deleted: its StatefulSet starts it again, from the newer spec
        when it has one (pending), without the deleted pod's emptyDirs."""
        if kind != "Pod":
            raise SystemExit(f"delete {kind}: not stood in for by the harness")
        at = next((n for n, p in enumerate(self.pods) if p.name == name), None)
        if at is None:
            raise SystemExit(f"delete Pod {name}: not found")
        pod = self.pending.pop(name, self.pods[at])
        self.deleted.append(name)
        self.replace_pod(self.pods[at], pod)
        self.pods[at] = pod

    def replace_pod(self, old: Pod, new: Pod) -> None:
        """A pod deleted and started again (from `new`, which may be `old`):
        its claims kept, its emptyDirs gone, as Kubernetes does."""
        if old.running:
            self.stop_pod(old)
        for volume in old.spec.get("volumes", []):
            if "emptyDir" in volume:
                shutil.rmtree(self.volume_source(old, volume["name"]), ignore_errors=True)
        self.start_pod(new)

    def stop_pod(self, pod: Pod) -> None:
        """As the kubelet deletes a pod: SIGTERM, then SIGKILL after the grace period."""
        terminate([c.proc for c in pod.containers if c.proc])
        pod.containers = []
        pod.running = False
        print(f"stopped {pod.name}")

    def wait_ready(self, timeout: float = 90) -> None:
        """Until each container's readinessProbe (TCP or HTTP) succeeds."""
        deadline = time.time() + timeout
        for pod in self.pods:
            for c in pod.containers if pod.running else []:
                probe = c.spec.get("readinessProbe") or {}
                while not self.probe(pod, probe):
                    self.check_alive()
                    if time.time() > deadline:
                        raise SystemExit(f"{pod.name}: not ready after {timeout}s; see {c.log}")
                    time.sleep(0.5)

    def probe(self, pod: Pod, probe: dict) -> bool:
        check = probe.get("tcpSocket") or probe.get("httpGet")
        if check is None:
            if probe:
                raise SystemExit(f"{pod.name}: readinessProbe {sorted(probe)} not supported by the harness")
            return True
        port = check["port"]
        port = self.ports(pod)[port] if isinstance(port, str) else port
        try:
            if "httpGet" in probe:
                import urllib.request

                with urllib.request.urlopen(
                    f"http://{pod.ip}:{port}{check.get('path', '/')}", timeout=2
                ) as r:
                    return 200 <= r.status < 400
            with socket.create_connection((pod.ip, port), timeout=2):
                return True
        except OSError:
            return False

    def check_pods(self) -> None:
        """Each process runs exactly as its container says (mismatches), read
        from /proc: environ, cmdline, exe and mountinfo."""
        for pod in self.pods:
            for c in pod.containers if pod.running else []:
                proc = pathlib.Path(f"/proc/{c.proc.pid}")
                environ = dict(
                    kv.decode().split("=", 1) for kv in (proc / "environ").read_bytes().split(b"\0") if kv
                )
                argv = [a.decode() for a in (proc / "cmdline").read_bytes().split(b"\0")[:-1]]
                mounted = {line.split()[4] for line in (proc / "mountinfo").read_text().splitlines()}
                wrong = self.mismatches(pod, c, environ, argv, os.stat(proc / "exe"), mounted)
                if wrong:
                    raise SystemExit(
                        f"{pod.name}/{c.spec['name']} does not run as its pod spec says:\n" + "\n".join(wrong)
                    )
        count = sum(len(pod.containers) for pod in self.pods)
        print(f"{count} containers run with the env, args, binary and mounts of their rendered pod spec")

    def mismatches(
        self, pod: Pod, c: Container, environ: dict, argv: list[str], exe: os.stat_result, mounted: set[str]
    ) -> list[str]:
        """What differs between a process and its container, recomputed from
        the rendered objects (not from the Launch): every env var of the
        container with its value, the image's ENV and the runtime's variables
        under it and nothing else, command and args, the image's binary, a
        mount at every volumeMount."""
        want = container_env(c.spec, self.objects, pod.as_object())
        under = {
            **c.image.env,
            **{k: v for k, v in runtime_env(pod.name).items() if k == "HOSTNAME" or k not in c.image.env},
        }
        wrong = [
            f"env {k}={environ.get(k)!r}, the container says {v!r}"
            for k, v in want.items()
            if environ.get(k) != v
        ]
        wrong += [
            f"env {k}={environ.get(k)!r}, the image says {v!r}"
            for k, v in under.items()
            if k not in want and environ.get(k) != v
        ]
        wrong += [
            f"env {k}: set, but not by the container, image or runtime"
            for k in sorted(set(environ) - set(want) - set(under))
        ]
        command = c.spec.get("command") or c.image.entrypoint
        args = c.spec["args"] if "args" in c.spec else ([] if c.spec.get("command") else c.image.cmd)
        if argv != [expand(a, want) for a in [*command, *args]]:
            wrong.append(f"runs {argv}, not command {command} args {args}")
        binary = (
            c.image.files["/usr/local/bin"].get(argv[0].removeprefix("/usr/local/bin/")) if argv else None
        )
        if binary is None or (exe.st_dev, exe.st_ino) != (binary.stat().st_dev, binary.stat().st_ino):
            wrong.append(f"{argv[:1]} is not the image's binary {binary}")
        wrong += [
            f"nothing mounted at {m['mountPath']}"
            for m in c.spec.get("volumeMounts", [])
            if m["mountPath"] not in mounted
        ]
        return wrong

    def check_alive(self) -> None:
        for pod in self.pods:
            for c in pod.containers if pod.running else []:
                if c.proc.poll() is not None:
                    tail = c.log.read_text()[-3000:]
                    raise SystemExit(f"{pod.name}/{c.spec['name']} exited with {c.proc.returncode}:\n{tail}")

    # -- the StatefulSet API the backup and restore flows use -------------------
    # Stands in for the API server and the StatefulSet controller, for Argo
    # resource templates: `get` of a StatefulSet (its rendered object, with
    # the patches applied and a status counted from the pods' processes) or
    # PersistentVolumeClaim (there once a pod made its folder), and merge
    # `patch` of a StatefulSet, whose spec.replicas is then carried out on the
    # process table: pods above it are stopped (their claims' folders kept,
    # as a StatefulSet keeps its claims), pods below it are started again.

    def pods_of(self, statefulset: str) -> list[Pod]:
        return [
            p
            for p in self.pods
            if p.workload["kind"] == "StatefulSet" and p.workload["metadata"]["name"] == statefulset
        ]

    def claim_dir(self, claim: str) -> pathlib.Path | None:
        for pod in self.pods:
            if claim in pod.claims.values():
                path = self.work / "claims" / claim
                return path if path.is_dir() else None
        return None

    def kube_get(self, kind: str, name: str) -> dict | None:
        if kind == "PersistentVolumeClaim":
            if self.claim_dir(name) is None:
                return None
            return {"kind": kind, "metadata": {"name": name}, "status": {"phase": "Bound"}}
        if kind != "StatefulSet":
            raise SystemExit(f"resource {kind}: not stood in for by the harness")
        live = self.live.get(name)
        if live is None:
            return None
        pods = self.pods_of(name)
        running = [p for p in pods if p.running]
        ready = [
            p
            for p in running
            if all(self.probe(p, c.spec.get("readinessProbe") or {}) for c in p.containers)
        ]
        live["status"] = {"replicas": len(running)}
        if ready:
            live["status"]["readyReplicas"] = len(ready)
        updated = [p for p in running if p.name not in self.pending]
        if updated:
            live["status"]["updatedReplicas"] = len(updated)
        return json.loads(json.dumps(live))

    def kube_patch(self, kind: str, name: str, patch: dict) -> None:
        if kind != "StatefulSet" or name not in self.live:
            raise SystemExit(f"patch {kind} {name}: not found")

        def merge_patch(target, p):
            if not isinstance(p, dict):
                return p
            out = dict(target) if isinstance(target, dict) else {}
            for k, v in p.items():
                if v is None:
                    out.pop(k, None)
                else:
                    out[k] = merge_patch(out.get(k), v)
            return out

        patch = {k: v for k, v in patch.items() if k not in ("apiVersion", "kind")}
        patch.get("metadata", {}).pop("name", None)
        self.live[name] = merge_patch(self.live[name], patch)
        replicas = int(self.live[name]["spec"].get("replicas", 1))
        pods = self.pods_of(name)
        if replicas > len(pods):
            raise SystemExit(f"{name}: scaling above the chart's replicas is not stood in for")
        for i, pod in enumerate(pods):
            if i >= replicas and pod.running:
                self.stop_pod(pod)
            elif i < replicas and not pod.running:
                self.start_pod(pod)

    def scale(self, statefulset: str, replicas: int) -> None:
        """What `kubectl scale` would do (the harness's own hand, not a flow's)."""
        self.kube_patch("StatefulSet", statefulset, {"spec": {"replicas": replicas}})
        if replicas:
            self.wait_ready()

    def stop(self) -> None:
        terminate([c.proc for pod in self.pods for c in pod.containers if c.proc])
        for pod in self.pods:
            subprocess.run(["umount", self.netns(pod)], capture_output=True)

    # -- the harness's own client ---------------------------------------------

    def osn_channel(self, org_name: str, node: dict, channel: str) -> dict:
        """`osnadmin channel list --channelID` on orderer `node` as its org's
        admin: the channel's status there (status, consensusRelation, height),
        or {} when it has not joined."""
        admin = self.work / "cli" / self.orgs[org_name]["key"]
        self.admin_cli(org_name)  # writes the admin's files
        r = subprocess.run(
            [
                str(self.args.fabric_bin / "osnadmin"), "channel", "list", "--channelID", channel,
                "-o", f"{node['host']}:{node['adminPort']}",
                "--ca-file", str(admin / "tls/ca.crt"),
                "--client-cert", str(admin / "tls/client.crt"),
                "--client-key", str(admin / "tls/client.key"),
            ],
            capture_output=True,
            text=True,
        )
        out = r.stdout
        body = out[out.find("{"):] if "{" in out else ""
        return json.loads(body) if out.startswith("Status: 200") and body else {}

    def admin_cli(self, org_name: str) -> dict:
        """Peer CLI environment of the org's admin at its first peer."""
        org = self.orgs[org_name]
        admin = self.work / "cli" / org["key"]
        identity = org["identities"][org["admin"]["secret"]]
        # Its own files (its Secret) and the org's shared ones (the configtx ConfigMap).
        for f in identity["files"] + identity.get("shared", []):
            dst = admin / f["mount"]
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.chart / f["source"], dst)
        node = org["nodes"][0]
        return {
            "PATH": f"{self.args.fabric_bin}:/usr/bin:/bin",
            "HOME": str(self.work),
            "FABRIC_CFG_PATH": str(self.args.fabric_config),
            "FABRIC_LOGGING_SPEC": "WARNING",
            "CORE_PEER_LOCALMSPID": org["mspId"],
            "CORE_PEER_MSPCONFIGPATH": f"{admin}/msp",
            "CORE_PEER_ADDRESS": f"{node['host']}:{node['port']}",
            "CORE_PEER_TLS_ENABLED": str(self.tls).lower(),
            "CORE_PEER_TLS_ROOTCERT_FILE": f"{admin}/tls/ca.crt",
        }
