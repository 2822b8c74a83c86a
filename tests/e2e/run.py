#!/usr/bin/env python3
"""Runs a fabchart project on real Fabric binaries, without Kubernetes.

Opt-in (`make e2e`), not part of `make test`: it needs a Fabric release's
bin/ (peer, orderer, osnadmin, configtxgen, configtxlator), config/ (core.yaml,
orderer.yaml, configtx.yaml) and chaincode-as-a-service builder (detect,
build, release), and for the chaincode flow a chaincode-as-a-service binary.
It

1. compiles the project into a scratch folder, for the Fabric release of the
   binaries (network.yaml's fabricVersion, so the chart names their images);
2. renders the chart with Helm and starts every pod of its StatefulSets and
   Deployments as the kubelet would, from the rendered objects alone: the
   main container's command, args and env (valueFrom and `$(VAR)` resolved as
   Kubernetes resolves them), its volumeMounts (Secret and ConfigMap volumes
   with their items and modes, emptyDir and PersistentVolumeClaim data folders)
   at the pod's paths in a mount namespace of its own, in a network namespace
   of its own with its own IP; the stock image becomes the matching Fabric
   binary (stock_images below). It then checks that each process got exactly
   the container's environment and arguments (check_pods);
3. runs the workflows `fabchart flow` prints, step by step, with a small
   sequential stand-in for the Argo controller: each script step runs in its
   own mount namespace with the chart's Secrets and ConfigMaps mounted where
   the pod would have them, on the tools image's files;
4. checks the outcome with the peer CLI: channel, chaincode (install,
   approve, commit, invoke), both run twice (the second run must change
   nothing), an orderer config update signed by the orderer orgs, and adding
   an org to a channel (peer-org, then channel).

It runs as root, inside new network and mount namespaces (`unshare`), so
/etc/hosts and the machine's ports are left alone; the pods' mount points
(/configtx, /crypto, /etc/hyperledger/..., /opt/hyperledger/...) are left
behind as empty folders. The stand-in covers what fabchart's workflows use
(steps, withParam, when, retryStrategy, suspend resumed at once, output
parameters); Argo's own schema check is in tests/conformance.

    python3 tests/e2e/run.py samples/scaled-raft-tls --fabric-bin ~/fabric/bin \\
        --chaincode ~/cc/server --invoke '{"Args":["put","k","v"]}'
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

import yaml

import stores

ROOT = pathlib.Path(__file__).resolve().parents[2]
IN_NAMESPACE = "FABCHART_E2E_NAMESPACE"
NAMESPACE = "default"
RELEASE = "hlf-kube"

# ---------------------------------------------------------------------------
# What Kubernetes and the stock images would add, and the harness adds instead.
# Nothing else about a node is written here: the rest comes from the chart.
#
# - The stock images' files and ENV (Fabric's images/*/Dockerfile): the
#   binaries in /usr/local/bin, the release's config/ files at
#   FABRIC_CFG_PATH=/etc/hyperledger/fabric (without sampleconfig/msp, which
#   no fabchart pod reads), the peer image's chaincode-as-a-service builder in
#   /opt/hyperledger/ccaas_builder/bin (named by that core.yaml's
#   chaincode.externalBuilders), an empty /root. A chaincode image of the
#   network (network.yaml's `image`) is the --chaincode binary as its entrypoint.
# - The container runtime's environment: HOSTNAME (the pod's name) and HOME
#   (/root), under the image's ENV and the container's env; the pod's hostname.
# - The pod network: each pod in a network namespace of its own, with an IP on
#   a bridge (10.254.0.0/16) in the harness's namespace. Pods listen on
#   0.0.0.0 as the chart says. There is no kube-proxy and no cluster DNS: a
#   Service name (and its .<ns>, .<ns>.svc, .<ns>.svc.cluster.local forms)
#   resolves to the IP of the first pod it selects, through each pod's
#   /etc/hosts, which also holds what Kubernetes writes there (localhost, the
#   pod's own IP and name, the pod spec's hostAliases). That stands in for a
#   Service whose ports are its pods' ports (port == targetPort), as all of
#   the samples' are; one that maps ports is left unresolved, with a note.
#   With useActualDomains the harness does what the README tells the
#   operator: it collects the addToHostAliases Services' addresses (pod IPs
#   here) into the chart's `hostAliases` value and renders again.
# - Values: peer.stateDatabase=goleveldb (no CouchDB binary here: the
#   CouchDB StatefulSets are not rendered), on top of the project's values.yaml.
# - Readiness: a pod counts as started when its readinessProbe (TCP or
#   HTTP) succeeds. A Deployment's pods are named <deployment>-<i>. Pods are
#   not restarted when the project is compiled again (add_org changes
#   channels, not nodes). Resources, probes' timing, security contexts and
#   affinity are not applied. Workflow step pods run in the harness's network
#   namespace (as hostNetwork pods would) and resolve names through its
#   /etc/hosts (the same entries).
# ---------------------------------------------------------------------------
STOCK_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
FABRIC_CFG = "/etc/hyperledger/fabric"
TOOLS = ("peer", "osnadmin", "configtxgen", "configtxlator", "cryptogen", "discover", "ledgerutil")
# What the backup and restore steps run in the rclone image besides rclone.
BUSYBOX_APPLETS = (
    "sh", "tar", "gzip", "sha256sum", "mkfifo", "tee", "cut", "mktemp", "cat", "awk", "grep",
    "find", "head", "ls", "rm", "mkdir", "mv", "rmdir", "sync", "dirname", "touch", "printf",
    "tr", "sed", "cp", "sleep",
)
BRIDGE, BRIDGE_IP = "e2ebr", "10.254.0.1"
# The repository's sample chaincode and application (chaincode/README.md).
SAMPLE_CHAINCODE = ROOT / "chaincode" / "ledger-notes"
GATEWAY_CLIENT = ROOT / "chaincode" / "gateway-client"


@dataclass
class Image:
    """The files and ENV of a stock image, as host files at pod paths."""

    ref: str
    files: dict[str, dict[str, pathlib.Path]]  # pod folder -> {name: host file}
    env: dict[str, str]
    entrypoint: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)


def stock_images(args: argparse.Namespace, version: str) -> dict[str, Image]:
    """Repository (without tag) -> Image; the tag must be `version`."""
    bin_, config, builder = args.fabric_bin, args.fabric_config, args.ccaas_builder
    env = {"PATH": STOCK_PATH, "FABRIC_CFG_PATH": FABRIC_CFG, "FABRIC_VER": version}
    tools = {t: bin_ / t for t in TOOLS if (bin_ / t).is_file()}
    images = {
        "hyperledger/fabric-peer": Image(
            "hyperledger/fabric-peer",
            {
                "/usr/local/bin": {"peer": bin_ / "peer"},
                FABRIC_CFG: {"core.yaml": config / "core.yaml"},
                "/opt/hyperledger/ccaas_builder/bin": {
                    n: builder / n for n in ("detect", "build", "release")
                },
            },
            env,
            cmd=["peer", "node", "start"],
        ),
        "hyperledger/fabric-orderer": Image(
            "hyperledger/fabric-orderer",
            {
                "/usr/local/bin": {"orderer": bin_ / "orderer"},
                FABRIC_CFG: {f: config / f for f in ("orderer.yaml", "configtx.yaml")},
            },
            env,
            cmd=["orderer", "start"],
        ),
        "hyperledger/fabric-tools": Image(
            "hyperledger/fabric-tools",
            {
                "/usr/local/bin": tools,
                FABRIC_CFG: {f: config / f for f in ("core.yaml", "orderer.yaml", "configtx.yaml")},
            },
            dict(env, PATH=f"/usr/local/go/bin:{STOCK_PATH}"),
        ),
    }
    if getattr(args, "rclone", None):
        # rclone's own Dockerfile: Alpine, rclone in /usr/local/bin, ENV
        # XDG_CONFIG_HOME=/config. The Alpine tools are busybox's applets,
        # put beside rclone (not in /bin: over the host's /bin they would
        # hide the tools the launcher still needs).
        images["rclone/rclone"] = Image(
            "rclone/rclone",
            {
                "/usr/local/bin": {
                    "rclone": args.rclone,
                    **{applet: args.busybox for applet in BUSYBOX_APPLETS},
                },
            },
            {"PATH": STOCK_PATH, "XDG_CONFIG_HOME": "/config"},
            ["rclone"],
        )
    if args.chaincode:
        images["chaincode"] = Image(
            "chaincode",
            {"/usr/local/bin": {"chaincode": args.chaincode}},
            {"PATH": STOCK_PATH},
            ["chaincode"],
        )
    elif (SAMPLE_CHAINCODE / "node_modules").is_dir() and shutil.which("node"):
        # The sample chaincode's image (chaincode/ledger-notes/Dockerfile):
        # node running server.js; the host's node and the checkout's files.
        node = pathlib.Path(shutil.which("node")).resolve()
        images["chaincode"] = Image(
            "chaincode",
            {"/usr/local/bin": {"node": node}},
            {"PATH": STOCK_PATH},
            cmd=["node", str(SAMPLE_CHAINCODE / "server.js")],
        )
    for image in images.values():
        image.files["/root"] = {}
    return images


def runtime_env(pod: str) -> dict[str, str]:
    """What the container runtime adds to every container's environment."""
    return {"HOSTNAME": pod, "HOME": "/root"}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("project", type=pathlib.Path)
    p.add_argument(
        "--fabric-bin",
        type=pathlib.Path,
        required=True,
        help="folder with peer, orderer, osnadmin, configtxgen, configtxlator",
    )
    p.add_argument(
        "--fabric-config",
        type=pathlib.Path,
        help="folder with core.yaml, orderer.yaml and configtx.yaml (default: FABRIC_BIN/../config)",
    )
    p.add_argument(
        "--ccaas-builder",
        type=pathlib.Path,
        help="folder with the chaincode-as-a-service builder's detect, build and release "
        "(default: FABRIC_BIN/../builders/ccaas/bin as in a release archive, else FABRIC_BIN/../ccaas_builder/bin)",
    )
    p.add_argument(
        "--fabric-version",
        help="Fabric release to compile the project for (network.yaml's fabricVersion, which "
        "names the images); default and requirement: the version FABRIC_BIN/peer reports",
    )
    p.add_argument(
        "--chaincode",
        type=pathlib.Path,
        help="chaincode-as-a-service program, run for every chaincode image of the chart (reads "
        "CHAINCODE_ID, CHAINCODE_SERVER_ADDRESS); default: the repository's sample chaincode "
        "(chaincode/ledger-notes, after `npm ci` there), else the chaincode flow is not run",
    )
    p.add_argument(
        "--invoke",
        default='{"function":"ping","Args":[""]}',
        help="arguments of the flow's invoke (flow.invoke.function)",
    )
    p.add_argument(
        "--init",
        default='{"function":"init","Args":[]}',
        help="arguments of the --isInit invoke (flow.init.function)",
    )
    p.add_argument(
        "--e2e-tools",
        type=pathlib.Path,
        default=ROOT / "target" / "e2e-tools",
        help="the restore drill's rclone and object-store servers, as `make e2e-tools` "
        "(tests/e2e/install-tools.sh) installs them; the drill runs on samples with "
        "peer and orderer persistence",
    )
    p.add_argument(
        "--drill-only",
        action="store_true",
        help="only what the restore drill needs first (the channel and chaincode flows, once), then the drill",
    )
    p.add_argument("--fabchart", type=pathlib.Path, default=ROOT / "target" / "release" / "fabchart")
    p.add_argument(
        "--workdir",
        type=pathlib.Path,
        help="scratch folder, kept afterwards (default: a temporary one, removed)",
    )
    return p.parse_args()


def enter_namespace() -> None:
    """Re-executes this script in new network and mount namespaces."""
    if os.environ.get(IN_NAMESPACE):
        return
    if os.geteuid() != 0:
        raise SystemExit("run as root: pods and steps bind-mount their volumes at the pods' paths")
    cmd = ["unshare", "--net", "--mount", "--propagation", "private"]
    env = dict(os.environ, **{IN_NAMESPACE: "1"})
    os.execvpe(cmd[0], [*cmd, sys.executable, *sys.argv], env)


def run(cmd: list, env: dict | None = None, stdout_only: bool = False) -> str:
    r = subprocess.run([str(c) for c in cmd], env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"failed: {' '.join(map(str, cmd))}\n{r.stdout}{r.stderr}")
    return r.stdout if stdout_only else r.stdout + r.stderr


def fabric_version(fabric_bin: pathlib.Path) -> str:
    """The release the binaries report (`peer version`, `orderer version`)."""
    versions = set()
    for tool in ("peer", "orderer"):
        m = re.search(r"^\s*Version:\s*v?(\S+)", run([fabric_bin / tool, "version"]), re.M)
        if not m:
            raise SystemExit(f"{fabric_bin / tool} version: no Version line")
        versions.add(m.group(1))
    if len(versions) != 1:
        raise SystemExit(f"{fabric_bin}: peer and orderer of different releases: {sorted(versions)}")
    return versions.pop()


# ---------------------------------------------------------------------------
# Kubernetes semantics the harness needs: rendering, object data, env, volumes.
# ---------------------------------------------------------------------------


def merge(a: dict, b: dict) -> dict:
    """Helm's merge of values: b over a, maps recursively."""
    out = dict(a)
    for k, v in b.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def render(chart: pathlib.Path, values: dict) -> list[dict]:
    """The chart's objects (helm template, else helm-python-sdk's engine)."""
    helm = shutil.which("helm")
    if helm:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(values, f)
        try:
            texts = [
                run(
                    [helm, "template", RELEASE, chart, "--namespace", NAMESPACE, "-f", f.name],
                    stdout_only=True,
                )
            ]
        finally:
            os.unlink(f.name)
    else:
        import helm_python

        with helm_python.Chart.load(str(chart)) as c:
            rendered = c.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
        texts = [text for source, text in sorted(rendered.items()) if not source.endswith(".txt")]
    return [doc for text in texts for doc in yaml.safe_load_all(text) if doc]


class Objects:
    """Rendered objects by kind and name."""

    def __init__(self, docs: list[dict]):
        self.docs = docs
        self.by_name = {(d["kind"], d["metadata"]["name"]): d for d in docs}

    def kind(self, kind: str) -> list[dict]:
        return [d for d in self.docs if d["kind"] == kind]

    def data(self, kind: str, name: str, optional: bool = False) -> dict[str, bytes] | None:
        """A Secret's or ConfigMap's data, decoded."""
        doc = self.by_name.get((kind, name))
        if doc is None:
            if optional:
                return None
            raise SystemExit(f"{kind} {name} is not in the chart")
        out = {k: v.encode() for k, v in (doc.get("stringData") or {}).items()}
        if kind == "Secret":
            out.update({k: base64.b64decode(v) for k, v in (doc.get("data") or {}).items()})
        else:
            out.update({k: v.encode() for k, v in (doc.get("data") or {}).items()})
            out.update({k: base64.b64decode(v) for k, v in (doc.get("binaryData") or {}).items()})
        return out


def expand(text: str, env: dict[str, str]) -> str:
    """Kubernetes' `$(VAR)` expansion: a defined VAR is replaced, `$$` is a
    literal `$`, anything else (an undefined VAR included) is kept as written."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "$" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "$":
                out.append("$")
                i += 2
                continue
            if nxt == "(":
                close = text.find(")", i + 2)
                if close != -1:
                    name = text[i + 2 : close]
                    out.append(env[name] if name in env else text[i : close + 1])
                    i = close + 1
                    continue
        out.append(text[i])
        i += 1
    return "".join(out)


def field_ref(path: str, pod: dict) -> str:
    """A downward-API fieldRef against the pod (name, namespace, labels, IPs)."""
    m = re.fullmatch(r"metadata\.(labels|annotations)\['([^']+)'\]", path)
    if m:
        return pod["metadata"].get(m.group(1), {}).get(m.group(2), "")
    fields = {
        "metadata.name": pod["metadata"]["name"],
        "metadata.namespace": NAMESPACE,
        "metadata.uid": f"e2e-{pod['metadata']['name']}",
        "spec.nodeName": "e2e",
        "spec.serviceAccountName": pod["spec"].get("serviceAccountName", "default"),
        "status.hostIP": BRIDGE_IP,
        "status.podIP": pod["status"]["podIP"],
        "status.podIPs": pod["status"]["podIP"],
    }
    if path not in fields:
        raise SystemExit(f"fieldRef {path}: not supported by the harness")
    return fields[path]


def container_env(container: dict, objects: Objects, pod: dict, subst=lambda s: s) -> dict[str, str]:
    """The container's env as the kubelet builds it: envFrom first, then env
    in order, each value `$(VAR)`-expanded against the variables before it;
    valueFrom from the pod (fieldRef), Secrets and ConfigMaps. `subst` first
    replaces a workflow's {{...}} (Argo does that before the pod exists)."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        kind, ref = (
            ("Secret", source["secretRef"])
            if "secretRef" in source
            else ("ConfigMap", source["configMapRef"])
        )
        data = objects.data(kind, subst(ref["name"]), ref.get("optional", False)) or {}
        env.update({source.get("prefix", "") + k: v.decode() for k, v in data.items()})
    for e in container.get("env", []):
        ref = e.get("valueFrom")
        if ref is None:
            env[e["name"]] = expand(subst(str(e.get("value", ""))), env)
        elif "fieldRef" in ref:
            env[e["name"]] = field_ref(ref["fieldRef"]["fieldPath"], pod)
        elif "secretKeyRef" in ref or "configMapKeyRef" in ref:
            kind, key_ref = (
                ("Secret", ref["secretKeyRef"])
                if "secretKeyRef" in ref
                else ("ConfigMap", ref["configMapKeyRef"])
            )
            data = objects.data(kind, subst(key_ref["name"]), key_ref.get("optional", False))
            key = subst(key_ref["key"])
            if data is None or key not in data:
                if key_ref.get("optional"):
                    continue
                raise SystemExit(f"env {e['name']}: {kind} {key_ref['name']} has no key {key}")
            env[e["name"]] = data[key].decode()
        else:
            raise SystemExit(f"env {e['name']}: source {sorted(ref)} not supported by the harness")
    return env


def materialize(volume: dict, objects: Objects, into: pathlib.Path, subst=lambda s: s) -> None:
    """Lays out a Secret, ConfigMap, projected or emptyDir volume in `into`
    as the kubelet would (items, modes). Claims are plain folders (Network.volume_source)."""
    into.mkdir(parents=True, exist_ok=True)
    if "emptyDir" in volume or "persistentVolumeClaim" in volume:
        return
    if "projected" in volume:
        sources = volume["projected"]["sources"]
        default_mode = volume["projected"].get("defaultMode", 0o644)
    else:
        sources = [volume]
        default_mode = None
    for source in sources:
        if "secret" in source:
            kind, ref = "Secret", source["secret"]
        elif "configMap" in source:
            kind, ref = "ConfigMap", source["configMap"]
        else:
            raise SystemExit(f"volume {volume.get('name')}: {sorted(source)} not supported by the harness")
        data = objects.data(kind, subst(ref.get("secretName") or ref.get("name")), ref.get("optional", False))
        if data is None:
            continue
        mode = ref.get("defaultMode", default_mode if default_mode is not None else 0o644)
        for item in ref.get("items") or [{"key": k, "path": k} for k in data]:
            key = subst(item["key"])
            if key not in data:
                if ref.get("optional"):
                    continue
                raise SystemExit(f"volume {volume.get('name')}: {kind} has no key {key}")
            path = into / subst(item["path"])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data[key])
            path.chmod(item.get("mode", mode))


@dataclass
class Launch:
    """One container start: the mounts of its pod, then exec with exactly `env`."""

    argv: list[str]
    env: dict[str, str]
    mounts: list[tuple[str, str, bool]]  # host path, pod path, read-only
    hostname: str | None = None
    cwd: str = "/"

    def write(self, path: pathlib.Path) -> pathlib.Path:
        path.write_text(json.dumps(self.__dict__))
        return path


def launch(spec_file: str) -> None:
    """Inside the pod's new mount (and UTS) namespace: mount, then exec.
    Runs as `run.py --launch SPEC`, so nothing but the container's own
    environment reaches the process (a shell would add PWD)."""
    spec = Launch(**json.loads(pathlib.Path(spec_file).read_text()))
    for src, dst, read_only in spec.mounts:
        source, target = pathlib.Path(src), pathlib.Path(dst)
        if source.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        elif not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.touch()
        subprocess.run(["mount", "--bind", src, dst], check=True)
        if read_only:
            subprocess.run(["mount", "-o", "remount,bind,ro", dst], check=True)
    if spec.hostname:
        socket.sethostname(spec.hostname)
    os.chdir(spec.cwd)
    os.execvpe(spec.argv[0], spec.argv, spec.env)


class Filesystems:
    """Image files as mounts: per container, a folder of empty stand-ins for
    each image folder (mounted over the pod's folder, so the container sees the
    image's files there and nothing of the host's; writable, as its own layer
    would be), then each file over its stand-in, read-only."""

    def __init__(self, images: dict[str, Image], version: str, chaincodes: set[str], rclone_version: str = ""):
        self.images, self.version, self.chaincodes = images, version, chaincodes
        self.rclone_version = rclone_version

    def image(self, ref: str) -> Image | None:
        """The image's stand-in; None for a chaincode image without --chaincode."""
        if ref in self.chaincodes:
            return self.images.get("chaincode")
        repo, _, tag = ref.removeprefix("docker.io/").rpartition(":")
        if repo not in self.images:
            raise SystemExit(f"image {ref}: no binary stands for it (stock_images)")
        version = self.rclone_version if repo == "rclone/rclone" else self.version
        if tag.removeprefix("v") != version:
            raise SystemExit(f"image {ref}: the binary that stands for it is version {version}")
        return self.images[repo]

    def mounts(self, image: Image, root: pathlib.Path) -> list[tuple[str, str, bool]]:
        """The image's folders and files, the stand-ins made under `root`."""
        out = []
        for folder, files in image.files.items():
            standin = root / folder.lstrip("/")
            standin.mkdir(parents=True, exist_ok=True)
            out.append((str(standin), folder, False))
            for name, host in files.items():
                (standin / name).touch()
                if not host.is_file():
                    raise SystemExit(f"{host}: not found (image {image.ref}, {folder}/{name})")
                out.append((str(host), f"{folder}/{name}", True))
        return out


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
        self.topology = json.loads((chart / "topology.json").read_text())
        self.net = self.topology["network"]
        self.tls = self.net["settings"]["tlsEnabled"]
        self.orgs = {o["name"]: o for o in self.net["orgs"] if not o["external"]}
        values_file = args.project / "values.yaml"
        project_values = yaml.safe_load(values_file.read_text()) if values_file.exists() else {}
        self.values = merge(project_values or {}, {"peer": {"stateDatabase": "goleveldb"}})
        self.pods: list[Pod] = []
        self.live: dict[str, dict] = {}  # StatefulSet name -> its object, patched
        self.hosts: dict[str, str] = {}  # Service names -> IP
        self.aliases: list[dict] = []
        self.plan()

    # -- what runs where --------------------------------------------------

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
                    f"10.254.{1 + n // 250}.{2 + n % 250}",
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

    def setup(self) -> None:
        """The bridge, a network namespace per pod, /etc/hosts of the harness
        (and so of the workflow steps): Service names and hostAliases."""
        run(["ip", "link", "set", "lo", "up"])
        run(["ip", "link", "add", BRIDGE, "type", "bridge"])
        run(["ip", "addr", "add", f"{BRIDGE_IP}/16", "dev", BRIDGE])
        run(["ip", "link", "set", BRIDGE, "up"])
        (self.work / "netns").mkdir()
        for n, pod in enumerate(self.pods):
            ns = self.netns(pod)
            ns.touch()
            run(["unshare", f"--net={ns}", "true"])
            veth = f"e2eveth{n}"
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
        hosts = self.work / "hosts"
        hosts.write_text(
            "127.0.0.1\tlocalhost\n"
            + "".join(self.hosts_lines())
            + "".join(f"{a['ip']}\t{' '.join(a['hostnames'])}\n" for a in self.aliases)
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
            spec = Launch(argv, env, mounts, pod.spec.get("hostname", pod.name), c.get("workingDir", "/"))
            log = self.work / "pods" / pod.name / f"{c['name']}.log"
            pod.containers.append(Container(c, image, spec, log))

    def start(self) -> None:
        for pod in self.pods:
            self.start_pod(pod)
        self.wait_ready()
        self.check_pods()
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
                pathlib.Path(__file__).resolve(),
                "--launch",
                spec_file,
            ]
            with open(c.log, "a") as log:
                c.proc = subprocess.Popen(
                    [str(x) for x in cmd], env={}, cwd="/", stdout=log, stderr=subprocess.STDOUT
                )
        print(f"started {pod.name} ({pod.ip}): " + "; ".join(" ".join(c.launch.argv) for c in pod.containers))

    def stop_pod(self, pod: Pod) -> None:
        """As the kubelet deletes a pod: SIGTERM, then SIGKILL after the grace period."""
        procs = [c.proc for c in pod.containers if c.proc]
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
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
        procs = [c.proc for pod in self.pods for c in pod.containers if c.proc]
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for pod in self.pods:
            subprocess.run(["umount", self.netns(pod)], capture_output=True)

    # -- the harness's own client ---------------------------------------------

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


class StepFailed(Exception):
    """A step ended Failed (or Error): its template's node, as Argo marks it."""


class Interrupted(Exception):
    """The workflow was ended from outside (`argo stop` or `argo terminate`)."""


class Workflows:
    """A sequential stand-in for the Argo controller, for fabchart's workflows:
    steps (one item at a time), withParam/withItems, when (==, != joined by
    && or ||), continueOn, retryStrategy, suspend (resumed at once), script
    templates, resource templates (get with successCondition and jqFilter
    outputs, merge patch) against Network's StatefulSet stand-in, output
    parameters (a fanned-out step's as a JSON list), steps.<name>.status, and
    the exit handler with workflow.status. `interrupt` ends the workflow after
    the n-th run of a template, as `argo stop` (the exit handler runs) or
    `argo terminate` (it does not)."""

    def __init__(self, chart: pathlib.Path, values: dict, fs: Filesystems, pods: pathlib.Path,
                 cluster: Network, extra_objects: list[dict] | None = None):
        self.pods_dir, self.fs, self.cluster = pods, fs, cluster
        self.objects = Objects(render(chart, values) + list(extra_objects or []))
        self.pods = 0

    def submit(self, workflow: str, interrupt: tuple[str, str, int] | None = None) -> str:
        """Runs the workflow; returns its final status (Succeeded, Failed,
        Terminated)."""
        wf = yaml.safe_load(workflow)
        self.spec = wf["spec"]
        self.templates = {t["name"]: t for t in self.spec["templates"]}
        self.parameters = {
            p["name"]: p.get("value", "") for p in self.spec.get("arguments", {}).get("parameters", [])
        }
        self.uid = f"e2e-{os.urandom(8).hex()}"
        self.created = time.gmtime()
        self.interrupt, self.runs, self.status = interrupt, {}, None
        try:
            self.template(self.spec["entrypoint"], {}, 0)
            status = "Succeeded"
        except StepFailed as e:
            print(f"workflow failed: {e}")
            status = "Failed"
        except Interrupted as e:
            print(f"workflow {e}")
            if str(e) == "terminated":
                # argo terminate: no exit handler.
                return "Terminated"
            status = "Failed"
        self.interrupt = None
        if self.spec.get("onExit"):
            print(f"onExit ({status})")
            self.status = status
            try:
                self.template(self.spec["onExit"], {}, 1)
            except StepFailed as e:
                print(f"exit handler failed: {e}")
                status = "Failed"
        return status

    def logs(self) -> str:
        """What every step pod of this workflow printed."""
        return "\n".join(p.read_text() for p in sorted(self.pods_dir.glob("*/log")))

    def context(self) -> dict:
        ctx = {
            "workflow.name": f"e2e-{self.spec['entrypoint']}",
            "workflow.namespace": "default",
            "workflow.uid": self.uid,
        }
        for part, fmt in (("Y", "%Y"), ("m", "%m"), ("d", "%d"), ("H", "%H"), ("M", "%M"), ("S", "%S")):
            ctx[f"workflow.creationTimestamp.{part}"] = time.strftime(fmt, self.created)
        if self.status:
            ctx["workflow.status"] = self.status
        ctx.update({f"workflow.parameters.{k}": v for k, v in self.parameters.items()})
        return ctx

    @staticmethod
    def substitute(text: str, ctx: dict) -> str:
        def one(m: re.Match) -> str:
            key = m.group(1).strip()
            if key in ctx:
                value = ctx[key]
            elif key.startswith("item.") and isinstance(ctx.get("item"), dict):
                value = ctx["item"][key[len("item.") :]]
            else:
                raise SystemExit(f"unresolved {{{{{key}}}}}")
            return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))

        return re.sub(r"\{\{\s*([^}]+?)\s*\}\}", one, text)

    @staticmethod
    def holds(expression: str) -> bool:
        def comparison(text: str) -> bool:
            for op in ("!=", "=="):
                if op in text:
                    a, b = (x.strip().strip("'\"") for x in text.split(op, 1))
                    return (a == b) == (op == "==")
            raise SystemExit(f"cannot evaluate when: {expression}")

        return any(
            all(comparison(part) for part in alternative.split("&&"))
            for alternative in expression.split("||")
        )

    def template(self, name: str, inputs: dict, depth: int) -> dict:
        t = self.templates[name]
        ctx = self.context()
        for p in t.get("inputs", {}).get("parameters", []):
            if p["name"] in inputs:
                ctx[f"inputs.parameters.{p['name']}"] = inputs[p["name"]]
            elif "value" in p or "default" in p:
                ctx[f"inputs.parameters.{p['name']}"] = p.get("value", p.get("default"))
            else:
                raise SystemExit(f"{name}: no value for input {p['name']}")
        if "steps" in t:
            for group in t["steps"]:
                for step in group:
                    self.step(step, ctx, depth)
            return {
                p["name"]: self.substitute(p["valueFrom"]["parameter"], ctx)
                for p in t.get("outputs", {}).get("parameters", [])
            }
        if "suspend" in t:
            return {
                p["name"]: p["valueFrom"].get("default", "")
                for p in t.get("outputs", {}).get("parameters", [])
            }
        if "resource" in t:
            outputs = self.resource(t, ctx, depth)
        else:
            outputs = self.script(t, ctx, depth)
        self.runs[name] = self.runs.get(name, 0) + 1
        if self.interrupt and self.interrupt[1] == name and self.interrupt[2] == self.runs[name]:
            raise Interrupted("stopped" if self.interrupt[0] == "stop" else "terminated")
        return outputs

    def step(self, step: dict, ctx: dict, depth: int) -> None:
        indent = "  " * depth
        status_key = f"steps.{step['name']}.status"
        fanned = "withParam" in step or "withItems" in step
        # A fanned-out step's `when` is judged per item (it may name {{item}}).
        if not fanned and "when" in step and not self.holds(self.substitute(step["when"], ctx)):
            ctx[status_key] = "Skipped"
            return
        items = (
            json.loads(self.substitute(step["withParam"], ctx))
            if "withParam" in step
            else step.get("withItems", [None])
        )
        outputs: dict[str, list] = {}
        failure = None
        for item in items:
            local = dict(ctx, item=item) if fanned else ctx
            if fanned and "when" in step and not self.holds(self.substitute(step["when"], local)):
                continue
            args = {
                p["name"]: self.substitute(str(p.get("value", "")), local)
                for p in step.get("arguments", {}).get("parameters", [])
            }
            print(f"{indent}{step['name']}" + (f" {json.dumps(item)[:70]}" if fanned else ""))
            try:
                for k, v in self.template(step["template"], args, depth + 1).items():
                    outputs.setdefault(k, []).append(v)
            except StepFailed as e:
                failure = e
                break
        for k, values in outputs.items():
            # Argo hands on a fanned-out step's outputs as a JSON list.
            ctx[f"steps.{step['name']}.outputs.parameters.{k}"] = (
                json.dumps(values, separators=(",", ":")) if fanned else values[0]
            )
        ctx[status_key] = "Failed" if failure else "Succeeded"
        if failure:
            print(f"{indent}{step['name']}: Failed")
            if not step.get("continueOn", {}).get("failed"):
                raise StepFailed(f"{step['name']}: {failure}")

    def resource(self, t: dict, ctx: dict, depth: int) -> dict:
        """A resource template against the cluster stand-in (Network)."""
        indent = "  " * depth
        r = t["resource"]
        manifest = yaml.safe_load(self.substitute(r["manifest"], ctx))
        kind, name = manifest["kind"], manifest["metadata"]["name"]
        if r["action"] == "patch":
            if r.get("mergeStrategy") != "merge":
                raise SystemExit(f"{t['name']}: patch {r.get('mergeStrategy')} not stood in for")
            print(f"{indent}| patch {kind} {name}: {json.dumps(manifest.get('spec', {}))}")
            self.cluster.kube_patch(kind, name, manifest)
            return {}
        if r["action"] != "get":
            raise SystemExit(f"{t['name']}: resource action {r['action']} not stood in for")
        condition = self.substitute(r["successCondition"], ctx) if r.get("successCondition") else None
        deadline = time.time() + int(t.get("activeDeadlineSeconds", 120))
        while True:
            obj = self.cluster.kube_get(kind, name)
            if obj is None:
                print(f"{indent}| {kind} {name} not found")
                raise StepFailed(f"{t['name']}: {kind} {name} not found")
            if not condition or self.condition_holds(condition, obj):
                break
            if time.time() > deadline:
                raise StepFailed(f"{t['name']}: {condition} not met by {kind} {name}")
            time.sleep(1)
        outputs = {}
        for p in t.get("outputs", {}).get("parameters", []):
            jq = p["valueFrom"]["jqFilter"]
            out = subprocess.run(["jq", "-rc", jq], input=json.dumps(obj), capture_output=True, text=True)
            if out.returncode != 0:
                raise SystemExit(f"jq {jq}: {out.stderr}")
            outputs[p["name"]] = out.stdout.removesuffix("\n")
        return outputs

    @staticmethod
    def condition_holds(condition: str, obj: dict) -> bool:
        """Argo's successCondition: `<json path> <op> <value>` requirements,
        comma-separated; a missing field meets none."""
        for requirement in condition.split(","):
            m = re.fullmatch(r"\s*([\w.]+)\s*(==|!=|=|>|<)\s*(\S+)\s*", requirement)
            if not m:
                raise SystemExit(f"successCondition {condition}: not stood in for")
            path, op, want = m.groups()
            value = obj
            for part in path.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            if value is None:
                return False
            got = str(value)
            if op in ("==", "="):
                ok = got == want
            elif op == "!=":
                ok = got != want
            else:
                ok = (int(got) > int(want)) if op == ">" else (int(got) < int(want))
            if not ok:
                return False
        return True

    def script(self, t: dict, ctx: dict, depth: int) -> dict:
        indent = "  " * depth
        script = t["script"]
        retry = t.get("retryStrategy", {})
        # OnError retries a pod that errs (lost, evicted), not a script that fails.
        limit = 0 if retry.get("retryPolicy") == "OnError" else int(retry.get("limit", 0))
        subst = lambda text: self.substitute(text, ctx)  # noqa: E731
        image = self.fs.image(subst(script["image"]))
        for attempt in range(limit + 1):
            self.pods += 1
            pod = self.pods_dir / f"{self.pods}-{t['name']}"
            name = f"e2e-{t['name']}-{self.pods}"
            volumes = {}
            read_only_claims = set()
            for v in t.get("volumes", []) + self.spec.get("volumes", []):
                if "persistentVolumeClaim" in v:
                    claim = subst(v["persistentVolumeClaim"]["claimName"])
                    path = self.cluster.claim_dir(claim)
                    if path is None:
                        raise StepFailed(f"{t['name']}: PersistentVolumeClaim {claim} not found (the pod would stay Pending)")
                    volumes[v["name"]] = path
                    if v["persistentVolumeClaim"].get("readOnly"):
                        read_only_claims.add(v["name"])
                    continue
                volumes[v["name"]] = pod / "volumes" / v["name"]
                materialize(v, self.objects, volumes[v["name"]], subst)
            tmp = pod / "tmp"
            tmp.mkdir(parents=True)
            (tmp / ".script").write_text(subst(script["source"]))
            # Steps run in the harness's network namespace: their pod IP is the bridge's.
            as_pod = {"metadata": {"name": name}, "spec": {}, "status": {"podIP": BRIDGE_IP}}
            own = container_env(script, self.objects, as_pod, subst)
            env = dict(image.env)
            env.update({k: v for k, v in runtime_env(name).items() if k == "HOSTNAME" or k not in env})
            env.update(own)
            mounts = self.fs.mounts(image, pod / "image")
            mounts += [
                (
                    str(volumes[m["name"]] / m.get("subPath", "")),
                    m["mountPath"],
                    bool(m.get("readOnly")) or m["name"] in read_only_claims,
                )
                for m in script.get("volumeMounts", [])
            ]
            mounts.append((str(tmp), "/tmp", False))
            argv = [expand(a, own) for a in script["command"]] + ["/tmp/.script"]
            spec = Launch(argv, env, mounts, name, script.get("workingDir", "/"))
            spec_file = spec.write(pod / "launch.json")
            r = subprocess.run(
                [
                    "unshare",
                    "--mount",
                    "--uts",
                    "--propagation",
                    "private",
                    sys.executable,
                    str(pathlib.Path(__file__).resolve()),
                    "--launch",
                    str(spec_file),
                ],
                env={},
                cwd="/",
                capture_output=True,
                text=True,
            )
            log = (r.stdout + r.stderr).rstrip()
            (pod / "log").write_text(log)
            for line in log.splitlines():
                if " INFO " not in line and "\x1b[34m" not in line:
                    print(f"{indent}| {line}")
            if r.returncode == 0:
                outputs = {}
                for p in t.get("outputs", {}).get("parameters", []):
                    f = tmp / os.path.relpath(p["valueFrom"]["path"], "/tmp")
                    value = f.read_text() if f.exists() else p["valueFrom"].get("default", "")
                    # Argo trims a single trailing newline off output parameters.
                    outputs[p["name"]] = value.removesuffix("\n")
                return outputs
            print(f"{indent}exit {r.returncode} (attempt {attempt + 1} of {limit + 1})")
            if "exitCode != '3'" in retry.get("expression", "") and r.returncode == 3:
                break
            if attempt < limit:
                time.sleep(min(2**attempt, 10))
        raise StepFailed(f"step {t['name']} failed; its pods are under {self.pods_dir}")


class Scenario:
    def __init__(self, args: argparse.Namespace, work: pathlib.Path):
        self.args, self.work = args, work
        self.flows = 0
        self.project = work / "project"
        shutil.copytree(args.project, self.project, ignore=shutil.ignore_patterns("out"))
        self.version = fabric_version(args.fabric_bin)
        if args.fabric_version and args.fabric_version != self.version:
            raise SystemExit(
                f"--fabric-version {args.fabric_version}: {args.fabric_bin} is Fabric {self.version}"
            )
        network_yaml = self.project / "network.yaml"
        doc = yaml.safe_load(network_yaml.read_text())
        if doc.get("fabricVersion", self.version) != self.version:
            raise SystemExit(
                f"network.yaml: fabricVersion {doc['fabricVersion']}, the binaries are {self.version}"
            )
        if "fabricVersion" not in doc:
            # The chart's images name the release of the binaries that stand for them.
            network_yaml.write_text(f"fabricVersion: {json.dumps(self.version)}\n" + network_yaml.read_text())
        self.compile()
        topology = json.loads((self.chart / "topology.json").read_text())
        chaincode_images = {cc["image"] for cc in topology["network"]["chaincodes"] if cc.get("image")}
        self.tools = stores.Tools(args.e2e_tools)
        args.rclone = self.tools.rclone if self.tools.rclone.is_file() else None
        args.busybox = pathlib.Path(shutil.which("busybox") or "/bin/busybox")
        self.rclone_version = self.tools.versions()["rclone"] if args.rclone else ""
        self.fs = Filesystems(stock_images(args, self.version), self.version, chaincode_images, self.rclone_version)
        self.network = Network(self.chart, work, args, self.fs)
        self.extra_objects: list[dict] = []

    @property
    def chart(self) -> pathlib.Path:
        return self.project / "out" / "hlf-kube"

    def compile(self) -> None:
        print(run([self.args.fabchart, "compile", self.project]).strip())

    def flow(self, kind: str, expect: str = "Succeeded", interrupt: tuple | None = None, **options) -> Workflows:
        """Prints workflow `kind` with `options` (dotted keys, passed in a
        values file so that JSON values stay strings) and runs it; it must end
        `expect`. `interrupt`: see Workflows."""
        print(f"== fabchart flow {kind} {options or ''}" + (f" interrupted: {interrupt}" if interrupt else ""))
        self.flows += 1
        name = f"{self.flows}-{kind}"
        values: dict = {}
        for key, value in options.items():
            *parents, last = key.split(".")
            node = values
            for part in parents:
                node = node.setdefault(part, {})
            node[last] = value
        values_file = self.work / f"flow-{name}.yaml"
        values_file.write_text(yaml.safe_dump(values))
        cmd = [self.args.fabchart, "flow", kind, "-p", self.project, "-f", values_file]
        workflows = Workflows(
            self.chart, self.network.values, self.fs, self.work / "flows" / name, self.network, self.extra_objects
        )
        status = workflows.submit(run(cmd, stdout_only=True), interrupt)
        if status != expect:
            raise SystemExit(f"flow {kind} ended {status}, not {expect}")
        self.network.check_alive()
        return workflows

    def peer(self, org: str, *cmd: str) -> str:
        return run([self.args.fabric_bin / "peer", *cmd], env=self.network.admin_cli(org))

    def joined(self, org: str) -> set[str]:
        out = self.peer(org, "channel", "list")
        return set(out.split("joined:", 1)[1].split()) if "joined:" in out else set()

    def sequences(self) -> dict:
        out = {}
        for cc in self.network.net["chaincodes"]:
            for ch in cc["channels"]:
                text = self.peer(
                    ch["orgs"][0],
                    "lifecycle",
                    "chaincode",
                    "querycommitted",
                    "-C",
                    ch["channel"],
                    "-n",
                    cc["name"],
                    "-O",
                    "json",
                )
                out[(cc["name"], ch["channel"])] = json.loads(text)["sequence"]
        return out

    def run(self) -> None:
        net = self.network.net
        if self.args.drill_only:
            self.flow("channel")
            self.flow(
                "chaincode",
                **{"flow.invoke.enabled": True, "flow.invoke.function": self.args.invoke,
                   "flow.init.function": self.args.init},
            )
            self.restore_drill()
            return
        self.flow("channel")
        for ch in net["channels"]:
            for org in ch["orgs"]:
                assert ch["name"] in self.joined(org), f"{org} not on {ch['name']}"
        self.flow("channel")
        if "chaincode" in self.fs.images:
            options = {
                "flow.invoke.enabled": True,
                "flow.invoke.function": self.args.invoke,
                "flow.init.function": self.args.init,
            }
            self.flow("chaincode", **options)
            before = self.sequences()
            self.flow("chaincode", **options)
            assert self.sequences() == before, "a second chaincode run changed a definition"
            print(f"committed definitions: {before}")
            self.applications()
        else:
            print("chaincode flow NOT RUN: no --chaincode, and no `npm ci` in chaincode/ledger-notes")
        first = net["channels"][0]["name"]
        update = {
            "update.scope": "orderer",
            "flow.channel.include": [first],
            "update.orderer.batchSize.maxMessageCount": 77,
        }
        self.flow("channel-update", **update)
        self.flow("channel-update", **update)
        self.add_org()
        self.restore_drill()

    def applications(self) -> None:
        """For every chaincode, channel and org of the chaincode on it: the
        sample application (a Fabric Gateway client) submits a transaction
        and evaluates a query with only what compile wrote for the org: its
        connection profile and a user's identity."""
        if not (GATEWAY_CLIENT / "node_modules").is_dir():
            print(f"applications NOT RUN: run `npm ci` in {GATEWAY_CLIENT}")
            return
        if not self.network.tls:
            # Fabric's Gateway dials other peers and the orderers with TLS
            # whenever their MSP has TLS CA certificates, which every
            # cryptogen MSP has; compile warns about this.
            print("applications NOT RUN: the Fabric Gateway needs tlsEnabled: true")
            return
        profiles = self.project / "out" / "connection-profiles"
        for cc in self.network.net["chaincodes"]:
            for ch in cc["channels"]:
                for name in ch["orgs"]:
                    org = self.network.orgs.get(name)
                    if org is None:
                        continue
                    user = next((u for u in org["users"]), None) or org["admin"]
                    identity = self.chart / user["cryptoDir"]
                    key = f"e2e-{name}-{ch['channel']}"
                    out = run(
                        [
                            "node",
                            GATEWAY_CLIENT / "client.js",
                            "--profile",
                            profiles / f"{org['key']}.json",
                            "--identity",
                            identity,
                            ch["channel"],
                            cc["name"],
                            key,
                            f"written by {user['name']}",
                        ],
                        env={"PATH": "/usr/bin:/bin", "HOME": str(self.work)},
                    )
                    print(f"  {name} on {ch['channel']}/{cc['name']}: {out.strip().splitlines()[-1]}")

    def add_org(self) -> None:
        peer_orgs = [o["name"] for o in self.network.orgs.values() if o["kind"] == "peer"]
        for ch in self.network.net["channels"]:
            missing = [o for o in peer_orgs if o not in ch["orgs"]]
            if missing:
                break
        else:
            print("peer-org flow NOT RUN: every org is on every channel")
            return
        org = missing[0]
        network_yaml = self.project / "network.yaml"
        doc = yaml.safe_load(network_yaml.read_text())
        entry = next(c for c in doc["network"]["channels"] if c["name"] == ch["name"])
        entry["orgs"].append(org)
        network_yaml.write_text(yaml.safe_dump(doc, sort_keys=False))
        self.compile()
        self.flow("peer-org")
        self.flow("channel")
        assert ch["name"] in self.joined(org), f"{org} not on {ch['name']}"
        print(f"{org} added to {ch['name']}")

    # -- the restore drill -----------------------------------------------------

    def restore_drill(self) -> None:
        """Backs up the running network with the backup flow to each object
        store, destroys the nodes' data, restores it with the restore flow,
        and checks the ledgers and the chaincode's values; on S3 also the
        faults: a backup killed half-way, restores stopped or terminated
        half-way, a corrupted archive."""
        values = self.network.values
        if not all(values.get(k, {}).get("persistence", {}).get("enabled") for k in ("peer", "orderer")):
            print("restore drill NOT RUN: the sample keeps peer or orderer data in emptyDirs")
            return
        if "chaincode" not in self.fs.images:
            print("restore drill NOT RUN: no chaincode program (it writes and reads values)")
            return
        missing = self.tools.missing()
        if missing:
            raise SystemExit(
                "restore drill: missing " + ", ".join(missing) + " (make e2e-tools installs them)"
            )
        versions = self.tools.versions()
        print(f"restore drill with {versions}")
        self.drill_keys: list[tuple[str, str, str, str]] = []  # chaincode, channel, key, value
        results = []
        for kind in ("s3", "azureblob", "gcs"):
            store = stores.start(kind, self.tools, self.work / "stores" / kind)
            self.extra_objects = [store.secret]
            try:
                self.drill(store, faults=kind == "s3")
                results.append(kind)
            finally:
                store.stop()
                self.extra_objects = []
        print(f"RESTORE DRILL PASSED: {', '.join(results)} ({versions})")

    def drill_options(self, store: stores.Store, key: str, **more) -> dict:
        return {
            **store.options,
            "backup.key": key,
            # The harness runs goleveldb peers: no CouchDB to copy.
            "flow.couchdb.backup.enabled": False,
            "backup.image": f"rclone/rclone:{self.rclone_version}",
            "backup.waitSeconds": 120,
            **more,
        }

    def drill(self, store: stores.Store, faults: bool) -> None:
        key = f"drill-{store.kind}"
        print(f"== restore drill on {store.kind}")
        self.transact(f"{store.kind}-1")
        before = self.ledger_state()
        self.flow("backup", **self.drill_options(store, key))
        listing = store.rclone(self.tools, "lsf", "-R", f"backup:{stores.BUCKET}/{key}").decode()
        assert "manifest.sha256" in listing.split(), listing
        self.destroy_data()
        self.flow("restore", **self.drill_options(store, key))
        self.check_state(before, f"restored from {store.kind}")
        self.transact(f"{store.kind}-2")
        after = self.ledger_state()
        grown = [k for k in before if k[0] != "value" and after[k] != before[k]]
        assert grown, "no ledger grew with the transactions after the restore"
        print(f"the network accepts transactions after the restore from {store.kind}: {len(grown)} ledgers grew")
        if faults:
            self.drill_faults(store, key, before)

    def drill_faults(self, store: stores.Store, key: str, backed_up: dict) -> None:
        # A backup killed half-way (argo terminate after the first node's
        # copy): no manifest; restore refuses it, and the exit handler of that
        # refusing run starts the node the killed backup left stopped.
        killed = f"{key}-killed"
        self.flow("backup", "Terminated", ("terminate", "backup-copy", 1), **self.drill_options(store, killed))
        listing = store.rclone(self.tools, "lsf", "-R", f"backup:{stores.BUCKET}/{killed}").decode().split()
        assert "manifest.sha256" not in listing, listing
        left = self.stopped_by_flow()
        assert left, "the terminated backup left no node stopped"
        print(f"the killed backup left {left} stopped and {killed} without a manifest")
        wf = self.flow("restore", "Failed", **self.drill_options(store, killed))
        assert "no complete backup" in wf.logs(), "restore did not refuse the killed backup"
        assert not self.stopped_by_flow(), f"still stopped: {self.stopped_by_flow()}"
        print("restore refused the killed backup; its exit handler started the nodes again")

        # A restore terminated after the first volume's swap: the next run
        # finishes it (every volume was staged), then restores again.
        self.destroy_data()
        self.flow("restore", "Terminated", ("terminate", "restore-swap", 1), **self.drill_options(store, key))
        states = self.restore_states()
        assert sorted(set(states.values())) == ["restored", "staged"], states
        print(f"terminated between swaps: {states}")
        self.flow("restore", **self.drill_options(store, key))
        self.check_state(backed_up, "rerun after a restore terminated between swaps")

        # A restore stopped (argo stop: the exit handler runs) after the first
        # swap: its exit handler finishes the swaps before it starts the nodes.
        self.destroy_data()
        self.flow("restore", "Failed", ("stop", "restore-swap", 1), **self.drill_options(store, key))
        self.check_state(backed_up, "exit handler of a restore stopped between swaps")

        # A restore terminated after the first volume was staged: the next
        # run drops the staging (not every volume was staged), then restores.
        self.destroy_data()
        self.flow("restore", "Terminated", ("terminate", "restore-stage", 1), **self.drill_options(store, key))
        states = self.restore_states()
        assert sorted(set(states.values())) == ["none", "staged"], states
        self.flow("restore", **self.drill_options(store, key))
        self.check_state(backed_up, "rerun after a restore terminated while staging")

        # One flipped byte in an archive: the restore refuses it by its sha256
        # before it stops a node or touches a volume, even with restore.force.
        archive = "beacon/orderer0/orderer.tar.gz"
        path = f"backup:{stores.BUCKET}/{key}/{archive}"
        orderer = next(v for v in self.network.net["orgs"] if v["kind"] == "orderer" and not v["external"])
        archive = f"{orderer['key']}/{orderer['nodes'][0]['hostname']}/orderer.tar.gz"
        path = f"backup:{stores.BUCKET}/{key}/{archive}"
        data = bytearray(store.rclone(self.tools, "cat", path))
        data[len(data) // 2] ^= 0x01
        store.rclone(self.tools, "rcat", path, input=bytes(data))
        volumes = self.volume_digests()
        state = self.ledger_state()
        wf = self.flow("restore", "Failed", **self.drill_options(store, key, **{"restore.force": True}))
        assert "the archive is damaged" in wf.logs(), "the damaged archive was not refused by its sha256"
        changed = {c: (volumes[c], d) for c, d in self.volume_digests().items() if volumes.get(c) != d}
        assert not changed, f"a volume changed (before, after): {changed}"
        self.check_state(state, "after the refused damaged archive")
        print("the damaged archive was refused before anything was stopped or overwritten")

    def node_statefulsets(self) -> list[str]:
        return [
            node["object"]
            for org in self.network.orgs.values()
            if org["kind"] in ("peer", "orderer")
            for node in org["nodes"]
        ]

    def stopped_by_flow(self) -> list[str]:
        """StatefulSets a flow stopped and did not start again (its annotation)."""
        out = []
        for name in self.node_statefulsets():
            obj = self.network.kube_get("StatefulSet", name)
            if obj and any(k.endswith("resume-replicas") for k in obj["metadata"].get("annotations") or {}):
                out.append(name)
        return out

    def claims(self) -> dict[str, pathlib.Path]:
        out = {}
        for name in self.node_statefulsets():
            for pod in self.network.pods_of(name):
                for claim in pod.claims.values():
                    out[claim] = self.work / "claims" / claim
        return out

    def restore_states(self) -> dict[str, str]:
        """The restore's state on each node volume (backup-lib.sh restore_state)."""
        lib = (ROOT / "workflow-templates" / "scripts" / "backup-lib.sh").resolve()
        out = {}
        for claim, path in self.claims().items():
            line = run([self.args.busybox, "sh", "-c", f'. "{lib}"; restore_state "$1" "$2"', "sh", path, claim])
            out[claim] = line.split()[1]
        return out

    def volume_digests(self) -> dict[str, str]:
        """Per claim: the inodes of its top-level entries (a restore's swap
        renames them) and the digests of its block files. Not every file: a
        running node's LevelDB compacts on its own time."""
        out = {}
        script = 'cd "$1" && ls -ai . && find . -path "*/chains/*" -type f -exec sha256sum {} + | sort'
        for claim, path in self.claims().items():
            out[claim] = run(["sh", "-c", script, "sh", path])
        return out

    def destroy_data(self) -> None:
        """Each peer's and orderer's data gone: stopped, its volume emptied
        (as a new PersistentVolume would be), started again on it."""
        for name in self.node_statefulsets():
            self.network.scale(name, 0)
        for path in self.claims().values():
            for entry in path.iterdir():
                shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
        for name in self.node_statefulsets():
            self.network.scale(name, 1)
        for org in self.network.orgs.values():
            if org["kind"] == "peer":
                assert not self.joined(org["name"]), f"{org['name']} still on a channel"
        print("destroyed the data of every peer and orderer; they run again on empty volumes")

    def peer_env(self, org: str, node: dict) -> dict:
        return dict(self.network.admin_cli(org), CORE_PEER_ADDRESS=node["address"])

    def ledger_state(self) -> dict:
        """Every peer's and orderer's height on each of its channels, and each
        value the drill wrote, as each peer of the channel reads it."""
        state = {}
        for org in self.network.orgs.values():
            for node in org["nodes"]:
                if org["kind"] == "peer":
                    env = self.peer_env(org["name"], node)
                    listed = run([self.args.fabric_bin / "peer", "channel", "list"], env=env)
                    joined = listed.split("joined:", 1)[1].split() if "joined:" in listed else []
                    for channel in joined:
                        out = run([self.args.fabric_bin / "peer", "channel", "getinfo", "-c", channel], env=env)
                        info = json.loads(out.split("Blockchain info:", 1)[1].strip().splitlines()[0])
                        state[("peer", node["object"], channel)] = info["height"]
                    for cc, channel, key, _ in self.drill_keys:
                        definition = next(c for c in self.network.net["chaincodes"] if c["name"] == cc)
                        ch = next(c for c in definition["channels"] if c["channel"] == channel)
                        if org["name"] in ch["orgs"]:
                            query = [self.args.fabric_bin / "peer", "chaincode", "query", "-C", channel,
                                     "-n", cc, "-c", json.dumps({"Args": ["get", key]})]
                            r = subprocess.run([str(c) for c in query], env=env, capture_output=True, text=True)
                            if r.returncode == 0:
                                state[("value", node["object"], key)] = r.stdout.strip()
                            elif "no note under key" not in r.stderr:
                                # A value written after the backup is absent: no entry.
                                raise SystemExit(f"failed: {' '.join(map(str, query))}\n{r.stdout}{r.stderr}")
                else:
                    # The admin API always speaks mutual TLS: the org admin's TLS files.
                    self.network.admin_cli(org["name"])
                    tls = self.work / "cli" / org["key"] / "tls"
                    osnadmin = [
                        self.args.fabric_bin / "osnadmin", "channel", "list",
                        "-o", f"{node['host']}:{node['adminPort']}", "--ca-file", tls / "ca.crt",
                        "--client-cert", tls / "client.crt", "--client-key", tls / "client.key",
                    ]
                    # Readiness is the operations port; the admin port opens a moment later.
                    deadline = time.time() + 60
                    while True:
                        try:
                            out = run(osnadmin, stdout_only=True)
                            break
                        except SystemExit as e:
                            if "connection refused" not in str(e) or time.time() > deadline:
                                raise
                            time.sleep(1)
                    listed = json.loads(out[out.index("{"):])
                    for ch in listed.get("channels") or []:
                        one = run([*osnadmin, "-c", ch["name"]], stdout_only=True)
                        state[("orderer", node["object"], ch["name"])] = json.loads(one[one.index("{"):])["height"]
        return state

    def check_state(self, want: dict, what: str) -> None:
        got = self.ledger_state()
        if got != want:
            diff = {k: (want.get(k), got.get(k)) for k in set(want) | set(got) if want.get(k) != got.get(k)}
            raise SystemExit(f"{what}: the ledgers differ from the backup's (want, got): {diff}")
        heights = sorted({v for k, v in got.items() if k[0] != "value"})
        print(f"{what}: every peer and orderer at the backup's heights ({heights}), {len(self.drill_keys)} values as written")

    def transact(self, tag: str) -> None:
        """Puts a value with each chaincode on each of its channels, endorsed by
        a peer of each of the channel's chaincode orgs, and waits for its commit."""
        orderer_org = next(o for o in self.network.orgs.values() if o["kind"] == "orderer")
        orderer = orderer_org["nodes"][0]
        for cc in self.network.net["chaincodes"]:
            for ch in cc["channels"]:
                orgs = [o for o in ch["orgs"] if o in self.network.orgs]
                key, value = f"drill-{cc['name']}-{ch['channel']}-{tag}", f"value-{tag}"
                cmd = [self.args.fabric_bin / "peer", "chaincode", "invoke", "-o", orderer["address"],
                       "-C", ch["channel"], "-n", cc["name"], "--waitForEvent",
                       "-c", json.dumps({"Args": ["put", key, value]})]
                if self.network.tls:
                    self.network.admin_cli(orderer_org["name"])
                    cmd += ["--tls", "--cafile", str(self.work / "cli" / orderer_org["key"] / "tls" / "ca.crt")]
                for org in orgs:
                    cmd += ["--peerAddresses", self.network.orgs[org]["nodes"][0]["address"]]
                    if self.network.tls:
                        self.network.admin_cli(org)
                        ca = self.work / "cli" / self.network.orgs[org]["key"] / "tls" / "ca.crt"
                        cmd += ["--tlsRootCertFiles", str(ca)]
                # A Raft orderer that just started elects its leader first.
                deadline = time.time() + 90
                while True:
                    try:
                        run(cmd, env=self.network.admin_cli(orgs[0]))
                        break
                    except SystemExit as e:
                        if "no Raft leader" not in str(e) or time.time() > deadline:
                            raise
                        time.sleep(2)
                self.drill_keys.append((cc["name"], ch["channel"], key, value))
        print(f"committed {tag}: {len(self.drill_keys)} values written so far")

def main() -> None:
    args = parse_args()
    for path in (
        "project",
        "fabric_bin",
        "fabric_config",
        "ccaas_builder",
        "chaincode",
        "fabchart",
        "workdir",
    ):
        if getattr(args, path):
            setattr(args, path, getattr(args, path).resolve())
    release = args.fabric_bin.parent
    args.fabric_config = args.fabric_config or release / "config"
    if not args.ccaas_builder:
        candidates = [release / "builders" / "ccaas" / "bin", release / "ccaas_builder" / "bin"]
        args.ccaas_builder = next((c for c in candidates if c.is_dir()), candidates[0])
    wanted = {
        args.fabric_bin: ("peer", "orderer", "osnadmin", "configtxgen", "configtxlator"),
        args.fabric_config: ("core.yaml", "orderer.yaml", "configtx.yaml"),
        args.ccaas_builder: ("detect", "build", "release"),
    }
    for folder, names in wanted.items():
        for name in names:
            if not (folder / name).is_file():
                raise SystemExit(
                    f"{folder / name}: not found (see --fabric-bin, --fabric-config, --ccaas-builder)"
                )
    enter_namespace()
    work = args.workdir or pathlib.Path(tempfile.mkdtemp(prefix="fabchart-e2e-", dir="/var/tmp"))
    if work.is_relative_to("/tmp"):
        raise SystemExit("--workdir: not under /tmp, which each step replaces with its own")
    if args.workdir:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
    scenario = Scenario(args, work)
    try:
        scenario.network.setup()
        scenario.network.start()
        scenario.run()
    finally:
        scenario.network.stop()
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    print("E2E PASSED")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--launch":
        launch(sys.argv[2])
    else:
        main()
