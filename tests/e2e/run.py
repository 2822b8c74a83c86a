#!/usr/bin/env python3
"""Runs a fabchart project on real Fabric binaries, without Kubernetes.

Opt-in (`make e2e`), not part of `make test`: it needs Fabric 2.5's peer,
orderer, osnadmin, configtxgen and configtxlator (the bin/ and config/ folders
of a Fabric release) and, for the chaincode flow, a chaincode-as-a-service
binary. It

1. compiles the project into a scratch folder;
2. starts every orderer and peer of the chart as a local process, with the
   environment the chart's StatefulSets give them and their crypto laid out
   as the pods mount it (topology.json), each node on its own loopback
   address under its Service name or actual domain;
3. runs the workflows `fabchart flow` prints, step by step, with a small
   sequential stand-in for the Argo controller: each script step runs in its
   own mount namespace with the chart's Secrets and ConfigMaps (rendered by
   Helm) mounted where the pod would have them;
4. checks the outcome with the peer CLI: channel, chaincode (install,
   approve, commit, invoke), both run twice (the second run must change
   nothing), an orderer config update signed by the orderer orgs, and adding
   an org to a channel (peer-org, then channel).

It runs as root, inside new network and mount namespaces (`unshare`), so
/etc/hosts and the machine's ports are left alone; the pods' mount points
(/configtx, /crypto, ...) are left behind as empty folders. The stand-in
covers what fabchart's workflows use (steps, withParam, when, retryStrategy,
suspend resumed at once, output parameters); Argo's own schema check is in
tests/conformance.

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
import subprocess
import sys
import tempfile
import time

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
IN_NAMESPACE = "FABCHART_E2E_NAMESPACE"


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
        help="folder with core.yaml and orderer.yaml (default: FABRIC_BIN/../config)",
    )
    p.add_argument(
        "--chaincode",
        type=pathlib.Path,
        help="chaincode-as-a-service binary (reads CHAINCODE_ID, "
        "CHAINCODE_SERVER_ADDRESS); without it the chaincode flow is not run",
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
        raise SystemExit("run as root: steps bind-mount their volumes at the pods' paths")
    cmd = ["unshare", "--net", "--mount", "--propagation", "private"]
    env = dict(os.environ, **{IN_NAMESPACE: "1"})
    os.execvpe(cmd[0], [*cmd, sys.executable, *sys.argv], env)


def run(cmd: list, env: dict | None = None, stdout_only: bool = False) -> str:
    r = subprocess.run([str(c) for c in cmd], env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"failed: {' '.join(map(str, cmd))}\n{r.stdout}{r.stderr}")
    return r.stdout if stdout_only else r.stdout + r.stderr


class Network:
    """The chart's orderers, peers and chaincode servers as local processes."""

    def __init__(self, chart: pathlib.Path, work: pathlib.Path, args: argparse.Namespace):
        self.chart, self.work, self.args = chart, work, args
        self.topology = json.loads((chart / "topology.json").read_text())
        self.net = self.topology["network"]
        self.tls = self.net["settings"]["tlsEnabled"]
        self.orgs = {o["name"]: o for o in self.net["orgs"] if not o["external"]}
        self.addresses: dict[str, str] = {}
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self.config = work / "fabric-config"

    def address(self, host: str) -> str:
        if host not in self.addresses:
            n = len(self.addresses) + 2
            self.addresses[host] = f"127.0.{n // 250 + 1}.{n % 250 + 2}"
        return self.addresses[host]

    def setup(self) -> None:
        """Network up, every node's name in /etc/hosts (of this namespace),
        core.yaml with a chaincode-as-a-service builder of our own."""
        run(["ip", "link", "set", "lo", "up"])
        # The peer wants one non-loopback IPv4 interface to exist.
        run(["ip", "link", "add", "e2e0", "type", "veth", "peer", "name", "e2e1"])
        run(["ip", "addr", "add", "10.254.0.1/24", "dev", "e2e0"])
        for link in ("e2e0", "e2e1"):
            run(["ip", "link", "set", link, "up"])
        for org in self.orgs.values():
            for node in org["nodes"]:
                self.address(node["host"])
        for cc in self.net["chaincodes"]:
            for pkg in cc["packages"]:
                self.address(pkg["address"].rsplit(":", 1)[0])
        hosts = self.work / "hosts"
        hosts.write_text("127.0.0.1 localhost\n" + "".join(f"{a} {h}\n" for h, a in self.addresses.items()))
        run(["mount", "--bind", hosts, "/etc/hosts"])
        source = self.args.fabric_config or self.args.fabric_bin.parent / "config"
        self.config.mkdir()
        shutil.copy(source / "orderer.yaml", self.config)
        core = yaml.safe_load((source / "core.yaml").read_text())
        builder = self.work / "ccaas-builder"
        core["chaincode"]["externalBuilders"] = [{"name": "ccaas", "path": str(builder)}]
        (self.config / "core.yaml").write_text(yaml.safe_dump(core))
        (builder / "bin").mkdir(parents=True)
        scripts = {
            "detect": 'grep -q \'"type":"ccaas"\' "$2/metadata.json"',
            "build": 'cp "$1/connection.json" "$3/connection.json"',
            "release": 'mkdir -p "$2/chaincode/server" && '
            'cp "$1/connection.json" "$2/chaincode/server/connection.json"',
        }
        for name, body in scripts.items():
            script = builder / "bin" / name
            script.write_text(f"#!/bin/sh\nset -e\n{body}\n")
            script.chmod(0o755)

    def mount(self, files: list[dict], root: pathlib.Path) -> pathlib.Path:
        for f in files:
            dst = root / f["mount"]
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.chart / f["source"], dst)
        return root

    def env(self, extra: dict) -> dict:
        return {
            "PATH": f"{self.args.fabric_bin}:/usr/bin:/bin",
            "HOME": str(self.work),
            "FABRIC_CFG_PATH": str(self.config),
            "FABRIC_LOGGING_SPEC": "INFO",
            **extra,
        }

    def start_process(self, name: str, cmd: list, env: dict) -> None:
        log = open(self.work / f"{name}.log", "w")
        self.procs.append(
            (
                name,
                subprocess.Popen(
                    [str(c) for c in cmd], env=self.env(env), stdout=log, stderr=subprocess.STDOUT
                ),
            )
        )

    def start(self) -> None:
        for org in self.orgs.values():
            for node in org["nodes"]:
                crypto = self.mount(node["files"], self.work / node["object"] / "crypto")
                data = self.work / node["object"] / "data"
                ip = self.address(node["host"])
                if org["kind"] == "orderer":
                    self.start_process(
                        node["object"],
                        [self.args.fabric_bin / "orderer"],
                        self.orderer_env(org, node, crypto, data, ip),
                    )
                else:
                    self.start_process(
                        node["object"],
                        [self.args.fabric_bin / "peer", "node", "start"],
                        self.peer_env(org, node, crypto, data, ip),
                    )
        if self.args.chaincode:
            for cc in self.net["chaincodes"]:
                for pkg in cc["packages"]:
                    host = pkg["address"].rsplit(":", 1)[0]
                    self.start_process(
                        pkg["object"],
                        [self.args.chaincode],
                        {
                            "CHAINCODE_ID": self.topology["packageIds"][pkg["file"]],
                            "CHAINCODE_SERVER_ADDRESS": f"{self.address(host)}:{cc['port']}",
                        },
                    )
        time.sleep(5)
        self.check_alive()

    def orderer_env(self, org, node, crypto, data, ip) -> dict:
        """As chart-templates' orderer StatefulSet sets it."""
        tls = {
            "CERTIFICATE": f"{crypto}/tls/server.crt",
            "PRIVATEKEY": f"{crypto}/tls/server.key",
            "ROOTCAS": f"[{crypto}/tls/ca.crt]",
        }
        env = {
            "ORDERER_GENERAL_LISTENADDRESS": ip,
            "ORDERER_GENERAL_LISTENPORT": str(node["port"]),
            "ORDERER_GENERAL_LOCALMSPID": org["mspId"],
            "ORDERER_GENERAL_LOCALMSPDIR": f"{crypto}/msp",
            "ORDERER_GENERAL_BOOTSTRAPMETHOD": "none",
            "ORDERER_CHANNELPARTICIPATION_ENABLED": "true",
            "ORDERER_FILELEDGER_LOCATION": f"{data}/orderer",
            "ORDERER_CONSENSUS_WALDIR": f"{data}/orderer/etcdraft/wal",
            "ORDERER_CONSENSUS_SNAPDIR": f"{data}/orderer/etcdraft/snapshot",
            "ORDERER_GENERAL_TLS_ENABLED": str(self.tls).lower(),
            "ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE": tls["CERTIFICATE"],
            "ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY": tls["PRIVATEKEY"],
            "ORDERER_GENERAL_CLUSTER_ROOTCAS": tls["ROOTCAS"],
            "ORDERER_ADMIN_LISTENADDRESS": f"{ip}:{node['adminPort']}",
            "ORDERER_ADMIN_TLS_ENABLED": "true",
            "ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED": "true",
            "ORDERER_ADMIN_TLS_CLIENTROOTCAS": tls["ROOTCAS"],
            "ORDERER_OPERATIONS_LISTENADDRESS": f"{ip}:8443",
        }
        env.update({f"ORDERER_ADMIN_TLS_{k}": v for k, v in tls.items()})
        if self.tls:
            env.update({f"ORDERER_GENERAL_TLS_{k}": v for k, v in tls.items()})
        else:
            env.update(
                {
                    "ORDERER_GENERAL_CLUSTER_LISTENADDRESS": ip,
                    "ORDERER_GENERAL_CLUSTER_LISTENPORT": str(node["clusterPort"]),
                    "ORDERER_GENERAL_CLUSTER_SERVERCERTIFICATE": tls["CERTIFICATE"],
                    "ORDERER_GENERAL_CLUSTER_SERVERPRIVATEKEY": tls["PRIVATEKEY"],
                }
            )
        return env

    def peer_env(self, org, node, crypto, data, ip) -> dict:
        """As chart-templates' peer StatefulSet sets it (LevelDB state)."""
        others = [f"{n['host']}:{n['port']}" for n in org["nodes"] if n is not node]
        env = {
            "CORE_PEER_ID": node["fqdn"],
            "CORE_PEER_ADDRESS": f"{node['host']}:{node['port']}",
            "CORE_PEER_LISTENADDRESS": f"{ip}:{node['port']}",
            "CORE_PEER_CHAINCODEADDRESS": f"{node['host']}:7052",
            "CORE_PEER_CHAINCODELISTENADDRESS": f"{ip}:7052",
            "CORE_PEER_GOSSIP_BOOTSTRAP": " ".join(others) or f"{node['host']}:{node['port']}",
            "CORE_PEER_GOSSIP_EXTERNALENDPOINT": f"{node['host']}:{node['port']}",
            "CORE_PEER_LOCALMSPID": org["mspId"],
            "CORE_PEER_MSPCONFIGPATH": f"{crypto}/msp",
            "CORE_PEER_TLS_ENABLED": str(self.tls).lower(),
            "CORE_PEER_FILESYSTEMPATH": str(data),
            "CORE_LEDGER_SNAPSHOTS_ROOTDIR": f"{data}/snapshots",
            "CORE_LEDGER_STATE_STATEDATABASE": "goleveldb",
            "CORE_OPERATIONS_LISTENADDRESS": f"{ip}:9443",
        }
        if self.tls:
            env.update(
                {
                    "CORE_PEER_TLS_CERT_FILE": f"{crypto}/tls/server.crt",
                    "CORE_PEER_TLS_KEY_FILE": f"{crypto}/tls/server.key",
                    "CORE_PEER_TLS_ROOTCERT_FILE": f"{crypto}/tls/ca.crt",
                }
            )
        return env

    def check_alive(self) -> None:
        for name, proc in self.procs:
            if proc.poll() is not None:
                tail = (self.work / f"{name}.log").read_text()[-3000:]
                raise SystemExit(f"{name} exited with {proc.returncode}:\n{tail}")

    def stop(self) -> None:
        for _, proc in self.procs:
            proc.send_signal(signal.SIGTERM)
        for _, proc in self.procs:
            proc.wait()

    def admin_cli(self, org_name: str) -> dict:
        """Peer CLI environment of the org's admin at its first peer."""
        org = self.orgs[org_name]
        admin = self.mount(org["admin"]["files"], self.work / "cli" / org["key"])
        node = org["nodes"][0]
        return self.env(
            {
                "CORE_PEER_LOCALMSPID": org["mspId"],
                "CORE_PEER_MSPCONFIGPATH": f"{admin}/msp",
                "CORE_PEER_ADDRESS": f"{node['host']}:{node['port']}",
                "CORE_PEER_TLS_ENABLED": str(self.tls).lower(),
                "CORE_PEER_TLS_ROOTCERT_FILE": f"{admin}/tls/ca.crt",
                "FABRIC_LOGGING_SPEC": "WARNING",
            }
        )


class Workflows:
    """A sequential stand-in for the Argo controller, for fabchart's workflows."""

    def __init__(self, chart: pathlib.Path, work: pathlib.Path, fabric_bin: pathlib.Path, pods: pathlib.Path):
        self.work, self.pods_dir = work, pods
        self.objects = {}
        for text in render(chart):
            for doc in yaml.safe_load_all(text):
                if doc and doc.get("kind") in ("Secret", "ConfigMap"):
                    self.objects[(doc["kind"], doc["metadata"]["name"])] = doc
        self.pods = 0
        # Steps see their own /tmp: the tools they run must live elsewhere.
        self.tools = work / "tools"
        if not self.tools.exists():
            (self.tools / "bin").mkdir(parents=True)
            for tool in ("peer", "osnadmin", "configtxgen", "configtxlator"):
                shutil.copy(fabric_bin / tool, self.tools / "bin")
            shutil.copy(work / "fabric-config" / "core.yaml", self.tools)

    def data(self, kind: str, name: str) -> dict[str, bytes]:
        doc = self.objects[(kind, name)]
        out = {k: v.encode() for k, v in (doc.get("stringData") or {}).items()}
        if kind == "Secret":
            out.update({k: base64.b64decode(v) for k, v in (doc.get("data") or {}).items()})
        else:
            out.update({k: v.encode() for k, v in (doc.get("data") or {}).items()})
            out.update({k: base64.b64decode(v) for k, v in (doc.get("binaryData") or {}).items()})
        return out

    def submit(self, workflow: str) -> None:
        wf = yaml.safe_load(workflow)
        self.spec = wf["spec"]
        self.templates = {t["name"]: t for t in self.spec["templates"]}
        self.parameters = {
            p["name"]: p.get("value", "") for p in self.spec.get("arguments", {}).get("parameters", [])
        }
        self.template(self.spec["entrypoint"], {}, 0)

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
        for op in ("!=", "=="):
            if op in expression:
                a, b = (x.strip().strip("'\"") for x in expression.split(op, 1))
                return (a == b) == (op == "==")
        raise SystemExit(f"cannot evaluate when: {expression}")

    def template(self, name: str, inputs: dict, depth: int) -> dict:
        t = self.templates[name]
        ctx = {"workflow.name": f"e2e-{name}", "workflow.namespace": "default"}
        ctx.update({f"workflow.parameters.{k}": v for k, v in self.parameters.items()})
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
            return {}
        if "suspend" in t:
            return {
                p["name"]: p["valueFrom"].get("default", "")
                for p in t.get("outputs", {}).get("parameters", [])
            }
        return self.script(t, ctx, depth)

    def step(self, step: dict, ctx: dict, depth: int) -> None:
        indent = "  " * depth
        if "when" in step and not self.holds(self.substitute(step["when"], ctx)):
            return
        fanned = "withParam" in step or "withItems" in step
        items = (
            json.loads(self.substitute(step["withParam"], ctx))
            if "withParam" in step
            else step.get("withItems", [None])
        )
        outputs: dict[str, list] = {}
        for item in items:
            local = dict(ctx, item=item) if fanned else ctx
            args = {
                p["name"]: self.substitute(str(p.get("value", "")), local)
                for p in step.get("arguments", {}).get("parameters", [])
            }
            print(f"{indent}{step['name']}" + (f" {json.dumps(item)[:70]}" if fanned else ""))
            for k, v in self.template(step["template"], args, depth + 1).items():
                outputs.setdefault(k, []).append(v)
        for k, values in outputs.items():
            # Argo hands on a fanned-out step's outputs as a JSON list.
            ctx[f"steps.{step['name']}.outputs.parameters.{k}"] = json.dumps(values) if fanned else values[0]

    def volume(self, volume: dict, ctx: dict, into: pathlib.Path) -> None:
        into.mkdir(parents=True)
        if "emptyDir" in volume:
            return
        kind, ref = ("Secret", volume["secret"]) if "secret" in volume else ("ConfigMap", volume["configMap"])
        name = self.substitute(ref.get("secretName") or ref.get("name"), ctx)
        if (kind, name) not in self.objects:
            if ref.get("optional"):
                return
            raise SystemExit(f"{kind} {name} is not in the chart")
        data = self.data(kind, name)
        for item in ref.get("items") or [{"key": k, "path": k} for k in data]:
            path = into / self.substitute(item["path"], ctx)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data[self.substitute(item["key"], ctx)])

    def env(self, script: dict, ctx: dict) -> dict:
        env = {"PATH": f"{self.tools}/bin:/usr/bin:/bin", "HOME": "/tmp", "FABRIC_CFG_PATH": str(self.tools)}
        for e in script.get("env", []):
            ref = e.get("valueFrom", {})
            if "value" in e:
                env[e["name"]] = self.substitute(str(e["value"]), ctx)
            elif "secretKeyRef" in ref or "configMapKeyRef" in ref:
                kind, key_ref = (
                    ("Secret", ref["secretKeyRef"])
                    if "secretKeyRef" in ref
                    else ("ConfigMap", ref["configMapKeyRef"])
                )
                env[e["name"]] = self.data(kind, self.substitute(key_ref["name"], ctx))[
                    key_ref["key"]
                ].decode()
            else:
                raise SystemExit(f"env {e['name']}: unsupported source")
        return env

    def script(self, t: dict, ctx: dict, depth: int) -> dict:
        indent = "  " * depth
        script = t["script"]
        retry = t.get("retryStrategy", {})
        limit = int(retry.get("limit", 0))
        for attempt in range(limit + 1):
            self.pods += 1
            pod = self.pods_dir / f"{self.pods}-{t['name']}"
            volumes = {}
            for v in t.get("volumes", []) + self.spec.get("volumes", []):
                volumes[v["name"]] = pod / "volumes" / v["name"]
                self.volume(v, ctx, volumes[v["name"]])
            tmp = pod / "tmp"
            tmp.mkdir(parents=True)
            (tmp / ".script").write_text(self.substitute(script["source"], ctx))
            mounts = [
                f"mkdir -p {m['mountPath']} && mount --bind "
                f"{volumes[m['name']] / m.get('subPath', '')} {m['mountPath']}"
                for m in script.get("volumeMounts", [])
            ]
            mounts.append(f"mount --bind {tmp} /tmp")
            command = " && ".join([*mounts, f"cd / && exec {' '.join(script['command'])} /tmp/.script"])
            r = subprocess.run(
                ["unshare", "--mount", "--propagation", "private", "sh", "-c", command],
                env=self.env(script, ctx),
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
            time.sleep(min(2**attempt, 10))
        raise SystemExit(f"step {t['name']} failed; its pods are under {self.pods_dir}")


def render(chart: pathlib.Path) -> list[str]:
    """The chart's manifests with default values (helm, else helm-python-sdk)."""
    helm = shutil.which("helm")
    if helm:
        out = run([helm, "template", "hlf-kube", chart])
        return [out]
    import helm_python

    with helm_python.Chart.load(str(chart)) as c:
        rendered = c.render({}, name="hlf-kube", namespace="default", is_install=True)
    return [text for source, text in rendered.items() if not source.endswith(".txt")]


class Scenario:
    def __init__(self, args: argparse.Namespace, work: pathlib.Path):
        self.args, self.work = args, work
        self.flows = 0
        self.project = work / "project"
        shutil.copytree(args.project, self.project, ignore=shutil.ignore_patterns("out"))
        self.compile()
        self.network = Network(self.chart, work, args)

    @property
    def chart(self) -> pathlib.Path:
        return self.project / "out" / "hlf-kube"

    def compile(self) -> None:
        print(run([self.args.fabchart, "compile", self.project]).strip())

    def flow(self, kind: str, **options) -> None:
        """Prints workflow `kind` with `options` (dotted keys, passed in a
        values file so that JSON values stay strings) and runs it."""
        print(f"== fabchart flow {kind} {options or ''}")
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
        workflows = Workflows(self.chart, self.work, self.args.fabric_bin, self.work / "pods" / name)
        workflows.submit(run(cmd, stdout_only=True))
        self.network.check_alive()

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
        self.flow("channel")
        for ch in net["channels"]:
            for org in ch["orgs"]:
                assert ch["name"] in self.joined(org), f"{org} not on {ch['name']}"
        self.flow("channel")
        if self.args.chaincode:
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
        else:
            print("chaincode flow NOT RUN: no --chaincode")
        first = net["channels"][0]["name"]
        update = {
            "update.scope": "orderer",
            "flow.channel.include": [first],
            "update.orderer.batchSize.maxMessageCount": 77,
        }
        self.flow("channel-update", **update)
        self.flow("channel-update", **update)
        self.add_org()

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


def main() -> None:
    args = parse_args()
    for tool in ("peer", "orderer", "osnadmin", "configtxgen", "configtxlator"):
        if not (args.fabric_bin / tool).is_file():
            raise SystemExit(f"{args.fabric_bin / tool}: not found (--fabric-bin: a Fabric release's bin/)")
    for path in ("project", "fabric_bin", "fabric_config", "chaincode", "fabchart", "workdir"):
        if getattr(args, path):
            setattr(args, path, getattr(args, path).resolve())
    enter_namespace()
    work = args.workdir or pathlib.Path(tempfile.mkdtemp(prefix="fabchart-e2e-", dir="/var/tmp"))
    if work.is_relative_to("/tmp"):
        raise SystemExit("--workdir: not under /tmp, which each step replaces with its own")
    if args.workdir:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
    scenario = Scenario(args, work)
    scenario.network.setup()
    scenario.network.start()
    try:
        scenario.run()
    finally:
        scenario.network.stop()
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    print("E2E PASSED")


if __name__ == "__main__":
    main()
