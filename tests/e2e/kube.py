"""Kubernetes' part of the e2e harness (run.py), stood in for.

At the top, in one place: what the stock images and Kubernetes would add to
a pod, and the harness adds instead. Then the kubelet's semantics: the
chart rendered (render, merge), Secret and ConfigMap data (Objects), a
container's env (container_env: valueFrom, `$(VAR)`), its volumes with
their items and modes (materialize), and a container's start in a mount
namespace of its own (Launch, launch: `run.py --launch SPEC`) on its
image's files (stock_images, Filesystems). The pods are cluster.py's.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
# The harness's command line: also what a container is started with (launch).
LAUNCHER = pathlib.Path(__file__).resolve().with_name("run.py")
NAMESPACE = "default"
RELEASE = "hlf-kube"

# ---------------------------------------------------------------------------
# What Kubernetes and the stock images would add, and the harness adds instead.
# Nothing else about a node is written in the harness: the rest comes from the chart.
#
# - The stock images' files and ENV (Fabric's images/*/Dockerfile): the
#   binaries in /usr/local/bin, the release's config/ files at
#   FABRIC_CFG_PATH=/etc/hyperledger/fabric (without sampleconfig/msp, which
#   no fabchart pod reads), the peer image's chaincode-as-a-service builder in
#   /opt/hyperledger/ccaas_builder/bin (named by that core.yaml's
#   chaincode.externalBuilders), an empty /root. A chaincode image of the
#   network (network.yaml's `image`) is the --chaincode binary as its entrypoint.
# - The kubelet's user and volume ownership: every container and flow step
#   runs as the runAsUser/runAsGroup of its securityContext (over its pod's),
#   with the pod's fsGroup as supplementary group, and each volume gets that
#   group (read; write and setgid folders for emptyDirs and claims), as the
#   kubelet does for fsGroup. Image folders are the harness's (root's), so a
#   non-root process writes only to its volumes, as under readOnlyRootFilesystem.
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


def release_config(bin_: pathlib.Path) -> pathlib.Path:
    """A release archive's config/, beside its bin/."""
    return bin_.parent / "config"


def release_builder(bin_: pathlib.Path) -> pathlib.Path:
    """A release's chaincode-as-a-service builder: builders/ccaas/bin as in a
    release archive, else ccaas_builder/bin, beside its bin/."""
    candidates = [bin_.parent / "builders" / "ccaas" / "bin", bin_.parent / "ccaas_builder" / "bin"]
    return next((c for c in candidates if c.is_dir()), candidates[0])


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
        # Fabric 3's flows image, as images/fabric-tools/Dockerfile builds
        # it: the release's bin/ and config/, no Go.
        "hlf-kube/fabric-tools": Image(
            "hlf-kube/fabric-tools",
            {
                "/usr/local/bin": tools,
                FABRIC_CFG: {f: config / f for f in ("core.yaml", "orderer.yaml", "configtx.yaml")},
            },
            env,
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


def run(cmd: list, env: dict | None = None, stdout_only: bool = False) -> str:
    r = subprocess.run([str(c) for c in cmd], env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"failed: {' '.join(map(str, cmd))}\n{r.stdout}{r.stderr}")
    return r.stdout if stdout_only else r.stdout + r.stderr


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
    as the kubelet would (items, modes). Claims are plain folders (cluster.py's
    Network.volume_source)."""
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


def identity(pod_security: dict, container: dict) -> dict:
    """Launch's user, group and fs_group: runAsUser and runAsGroup of the
    container's securityContext over the pod's, fsGroup of the pod's."""
    own = container.get("securityContext") or {}
    return {
        "user": own.get("runAsUser", pod_security.get("runAsUser")),
        "group": own.get("runAsGroup", pod_security.get("runAsGroup")),
        "fs_group": pod_security.get("fsGroup"),
    }


def own_volume(path: pathlib.Path, fs_group: int | None, writable: bool) -> None:
    """What the kubelet does to a volume for fsGroup: group fsGroup, group
    read (and write, with the setgid bit on folders, where writable)."""
    if fs_group is None or not path.exists():
        return
    for root, dirs, files in os.walk(path):
        for p in [root] + [os.path.join(root, f) for f in files]:
            if os.path.islink(p):
                continue
            os.chown(p, -1, fs_group)
            mode = os.stat(p).st_mode
            extra = 0o040 | (0o010 if os.path.isdir(p) or mode & 0o100 else 0)
            if writable:
                extra |= 0o020 | (0o2000 if os.path.isdir(p) else 0)
            os.chmod(p, (mode & 0o7777) | extra)


@dataclass
class Launch:
    """One container start: the mounts of its pod, then exec with exactly `env`."""

    argv: list[str]
    env: dict[str, str]
    mounts: list[tuple[str, str, bool]]  # host path, pod path, read-only
    hostname: str | None = None
    cwd: str = "/"
    # The process's user, group and supplementary group (fsGroup), from the
    # pod's and container's securityContext; None: root, as the harness.
    user: int | None = None
    group: int | None = None
    fs_group: int | None = None

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
    if spec.user is not None:
        os.setgroups([spec.fs_group] if spec.fs_group is not None else [])
        os.setgid(spec.group if spec.group is not None else 0)
        os.setuid(spec.user)
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
        # Fabric release -> its images: the first, and one to upgrade to.
        self.releases = {version: images}

    def add_release(self, version: str, images: dict[str, Image]) -> None:
        """Another Fabric release's images, for the charts compiled for it."""
        self.releases[version] = images

    def image(self, ref: str) -> Image | None:
        """The image's stand-in; None for a chaincode image without --chaincode."""
        if ref in self.chaincodes:
            return self.images.get("chaincode")
        repo, _, tag = ref.removeprefix("docker.io/").rpartition(":")
        if repo not in self.images:
            raise SystemExit(f"image {ref}: no binary stands for it (stock_images)")
        if repo == "rclone/rclone":
            if tag.removeprefix("v") != self.rclone_version:
                raise SystemExit(f"image {ref}: the binary that stands for it is version {self.rclone_version}")
            return self.images[repo]
        release = self.releases.get(tag.removeprefix("v"))
        if release is None or repo not in release:
            raise SystemExit(f"image {ref}: the binaries that stand for it are of {', '.join(self.releases)}")
        return release[repo]

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
