"""One network over several clusters (samples/cross-cluster: PIVT's layout),
for the e2e harness (run.py): a folder of projects, one per cluster.

Each cluster is a Scenario of its own (its project, chart, pods and flow
runs, in a folder of its own, its pods on an IP range of their own). The
clusters share nothing but the bridge, and exchange only what people
would: the bundles `fabchart bundle export` prints, and a signed config
update. The harness stands in for each node's LoadBalancer (or ingress
controller) by giving network.yaml's `expose` the node's pod IP: other
clusters reach a node only at the address its bundle carries, through the
hostAliases compile makes of it (no Service name of one cluster resolves in
another).

It runs:
1. compile, `expose` set, export, import of the others' bundles (with the
   fingerprints `--expect`ed, and a changed bundle refused), compile again;
2. every cluster's pods started, checked against their rendered spec;
3. the channel flows, one cluster after another (the first makes each
   channel, the others' orderers join it with its block 0);
4. the chaincode flows: the other clusters install and approve, the first
   commits (endorsed by peers of every cluster) and invokes under a policy
   that needs the peers of two clusters; then the others' flows find it
   committed and invoke too;
5. an org added to a channel whose Admins policy needs the admins of two
   clusters: the first cluster's peer-org flow signs and hands the update on
   (its `wait` step); the second adds its signature with `channel-update
   --set update.file=...` and sends it; the first resumes and checks; the
   added org's cluster then joins its peers.
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
import pathlib
import subprocess
import time

import yaml

from kube import run
from scenario import Scenario


def cluster_folders(folder: pathlib.Path) -> list[pathlib.Path]:
    """The cluster projects of `folder`: those running orderers first (a
    channel is made where its orderers run), each group by name."""
    projects = sorted(p for p in folder.iterdir() if (p / "network.yaml").is_file())
    if not projects:
        raise SystemExit(f"{folder}: neither a project nor a folder of projects")

    def runs_orderers(p: pathlib.Path) -> bool:
        return bool(yaml.safe_load((p / "crypto-config.yaml").read_text()).get("OrdererOrgs"))

    return sorted(projects, key=lambda p: (not runs_orderers(p), p.name))


class CrossCluster:
    def __init__(self, args: argparse.Namespace, work: pathlib.Path):
        self.args, self.work = args, work
        self.clusters: list[Scenario] = []
        for k, folder in enumerate(cluster_folders(args.project)):
            cluster_args = copy.copy(args)
            cluster_args.project = folder
            cluster_args.subnet = 20 * k
            (work / folder.name).mkdir()
            scenario = Scenario(cluster_args, work / folder.name)
            scenario.name = folder.name
            self.clusters.append(scenario)
        self.exchange()

    # -- what the clusters' operators do -----------------------------------------

    def fabchart(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run([str(self.args.fabchart), *map(str, args)], capture_output=True, text=True)
        if check and proc.returncode != 0:
            raise SystemExit(f"fabchart {' '.join(map(str, args))} failed:\n{proc.stderr}")
        return proc

    def exchange(self) -> None:
        """Each cluster's nodes exposed at their (stand-in) load balancer
        addresses, bundles exported and imported everywhere else, each
        project compiled again and its pods planned on the new chart."""
        for c in self.clusters:
            nodes = {
                node["fqdn"]: pod.ip
                for org in c.network.orgs.values()
                for node in org["nodes"]
                for pod in c.network.pods
                if pod.name == f"{node['object']}-0"
            }
            network_yaml = c.project / "network.yaml"
            doc = yaml.safe_load(network_yaml.read_text())
            doc["expose"] = {"nodes": nodes}
            network_yaml.write_text(yaml.safe_dump(doc, sort_keys=False))
            c.compile()
        bundles = {}
        for c in self.clusters:
            bundles[c.name] = self.work / f"{c.name}.bundle.yaml"
            bundles[c.name].write_text(self.fabchart("bundle", "export", c.project).stdout)
        for c in self.clusters:
            for other in self.clusters:
                if other is c:
                    continue
                bundle = yaml.safe_load(bundles[other.name].read_text())
                if c is self.clusters[0] and other is self.clusters[1]:
                    self.refuse_changed(bundles[other.name], c)
                expect = []
                for org in bundle["orgs"]:
                    # What the other side's operator reads out.
                    expect += ["--expect", f"{org['mspId']}={org['fingerprints']['ca'][0][:16]}"]
                print(self.fabchart("bundle", "import", bundles[other.name], c.project, *expect).stderr.strip())
            c.compile()
            c.network.read_topology()
            c.network.plan()
            aliases = c.network.net["hostAliases"]
            assert aliases, f"{c.name}: no hostAliases from the other clusters' bundles"
            print(f"{c.name}: hostAliases from bundles: {json.dumps(aliases)}")

    def refuse_changed(self, bundle: pathlib.Path, c: Scenario) -> None:
        """A bundle whose CA certificate was swapped for another org's is refused, nothing written."""
        doc = yaml.safe_load(bundle.read_text())
        first, second = doc["orgs"][0], doc["orgs"][1]
        ca = next(k for k in first["files"] if k.startswith("msp/cacerts/"))
        first["files"][ca] = next(v for k, v in second["files"].items() if k.startswith("msp/cacerts/"))
        changed = self.work / "changed.bundle.yaml"
        changed.write_text(yaml.safe_dump(doc, sort_keys=False))
        lock = (c.project / "fabchart.lock").read_text()
        proc = self.fabchart("bundle", "import", changed, c.project, check=False)
        assert proc.returncode == 2 and "the bundle was changed after it was made" in proc.stderr, proc.stderr
        assert (c.project / "fabchart.lock").read_text() == lock
        assert not (c.project / "bundles").exists()
        print(f"{c.name}: a bundle with a swapped CA certificate is refused")

    # -- running -----------------------------------------------------------------

    def setup(self) -> None:
        for k, c in enumerate(self.clusters):
            c.network.setup(bridge=k == 0)

    def start(self) -> None:
        for c in self.clusters:
            c.network.start()

    def stop(self) -> None:
        for c in self.clusters:
            c.network.stop()

    def flow(self, c: Scenario, kind: str, **options):
        print(f"== cluster {c.name}")
        c.network.bind_hosts()
        return c.flow(kind, **options)

    def local_orgs(self, c: Scenario, channel: str) -> list[str]:
        ch = next((x for x in c.network.net["channels"] if x["name"] == channel), None)
        return [o for o in (ch["orgs"] if ch else []) if o in c.network.orgs]

    def run(self) -> None:
        for c in self.clusters:
            self.flow(c, "channel")
        for c in self.clusters:
            c.network.bind_hosts()
            for ch in c.network.net["channels"]:
                for org in self.local_orgs(c, ch["name"]):
                    assert ch["name"] in c.joined(org), f"{c.name}: {org} not on {ch['name']}"
        print("channels OK: every cluster's peers joined, one genesis block")
        first, others = self.clusters[0], self.clusters[1:]
        # A second run changes nothing anywhere.
        for c in self.clusters:
            self.flow(c, "channel")
        if "chaincode" not in first.fs.images:
            raise SystemExit("the cross-cluster run needs the chaincode program (npm ci in chaincode/ledger-notes)")
        invoke = {"flow.invoke.function": self.args.invoke, "flow.init.function": self.args.init}
        for c in others:
            self.flow(c, "chaincode", **{"flow.commit.enabled": False, "flow.invoke.enabled": False})
        first_run = self.flow(first, "chaincode", **{"flow.invoke.enabled": True, **invoke})
        log = first_run.logs()
        assert "committed " in log, "the first cluster did not commit"
        self.check_endorsed(first, "trade")
        for c in others:
            self.flow(c, "chaincode", **{"flow.invoke.enabled": True, **invoke})
        self.check_committed()
        self.check_orderers("trade")
        self.add_org()
        if self.args.upgrade_to:
            print("upgrade NOT RUN: not part of the cross-cluster run")
        print("cross-cluster OK: " + ", ".join(c.name for c in self.clusters))

    def check_endorsed(self, c: Scenario, channel: str) -> None:
        """The newest transaction on `channel` (the flow's invoke) is valid
        and endorsed by peers of orgs of more than one cluster."""
        org = self.local_orgs(c, channel)[0]
        block = c.work / f"{channel}-newest.block"
        c.network.bind_hosts()
        c.peer(org, "channel", "fetch", "newest", str(block), "-c", channel)
        decoded = json.loads(run([self.args.fabric_bin / "configtxlator", "proto_decode", "--input", str(block),
                                  "--type", "common.Block"], stdout_only=True))
        tx = decoded["data"]["data"][-1]["payload"]
        assert tx["header"]["channel_header"]["type"] == 3, "the newest block holds no endorser transaction"
        endorsers = set()
        for e in tx["data"]["actions"][0]["payload"]["action"]["endorsements"]:
            identity = base64.b64decode(e["endorser"])  # msp.SerializedIdentity: field 1, the MSP ID
            assert identity[0] == 0x0A and identity[1] < 0x80, "unexpected SerializedIdentity encoding"
            endorsers.add(identity[2 : 2 + identity[1]].decode())
        flags = base64.b64decode(decoded["metadata"]["metadata"][2])
        assert flags[-1] == 0, f"the transaction is not valid (code {flags[-1]})"
        clusters = {
            other.name
            for other in self.clusters
            for o in other.network.orgs.values()
            if o["mspId"] in endorsers
        }
        assert len(clusters) >= 2, f"endorsed by {sorted(endorsers)} of cluster(s) {sorted(clusters)} only"
        print(f"invoke on {channel}: valid, endorsed by {sorted(endorsers)} of clusters {sorted(clusters)}")

    def check_orderers(self, channel: str) -> None:
        """Every cluster's orderers are consenters of `channel` at the same
        height (each asked through its admin API by its own cluster)."""
        deadline = time.time() + 30
        while True:
            seen, clusters = {}, set()
            for c in self.clusters:
                c.network.bind_hosts()
                for name, org in c.network.orgs.items():
                    if org["kind"] != "orderer":
                        continue
                    for node in org["nodes"]:
                        status = c.network.osn_channel(name, node, channel)
                        seen[node["host"]] = (status.get("consensusRelation"), status.get("height"))
                        clusters.add(c.name)
            relations = {r for r, _ in seen.values()}
            heights = {h for _, h in seen.values()}
            if relations == {"consenter"} and len(heights) == 1:
                break
            if time.time() > deadline:
                raise SystemExit(f"the orderers of {channel} disagree: {seen}")
            time.sleep(2)
        print(f"orderers OK: {len(seen)} consenters of {channel} in clusters {sorted(clusters)}, all at height {heights.pop()}")

    def check_committed(self) -> None:
        """Every cluster's peers see the same committed definitions, approved by every org."""
        seen = {}
        for c in self.clusters:
            c.network.bind_hosts()
            for cc in c.network.net["chaincodes"]:
                for ch in cc["channels"]:
                    org = next(o for o in ch["orgs"] if o in c.network.orgs)
                    text = c.peer(org, "lifecycle", "chaincode", "querycommitted", "-C", ch["channel"],
                                  "-n", cc["name"], "-O", "json")
                    got = json.loads(text)
                    assert all(got["approvals"].values()), f"{c.name}: approvals {got['approvals']}"
                    seen.setdefault((cc["name"], ch["channel"]), set()).add(
                        (got["sequence"], got["version"], tuple(sorted(got["approvals"])))
                    )
        for key, definitions in seen.items():
            assert len(definitions) == 1, f"{key}: the clusters see {definitions}"
        print(f"chaincode OK: the same definitions in every cluster, approved by every org: {seen}")

    def add_org(self) -> None:
        """An org of a third cluster added to a channel of two orgs of two
        clusters whose Application Admins policy (MAJORITY) needs both."""
        first = self.clusters[0]
        channel, member_clusters, joining = None, [], None
        for ch in first.network.net["channels"]:
            holders = [c for c in self.clusters if self.local_orgs(c, ch["name"])]
            outsiders = [c for c in self.clusters if c not in holders]
            if len(holders) >= 2 and outsiders:
                channel, member_clusters, joining = ch["name"], holders, outsiders[0]
                break
        if channel is None:
            print("cross-cluster org addition NOT RUN: no channel of two clusters' orgs that a third lacks")
            return
        org = next(iter(joining.network.orgs))
        second = member_clusters[1]
        print(f"== adding {org} ({joining.name}) to {channel} ({first.name} and {second.name} sign)")
        for c in (first, second, joining):
            network_yaml = c.project / "network.yaml"
            doc = yaml.safe_load(network_yaml.read_text())
            entries = doc["network"]["channels"]
            entry = next((e for e in entries if e["name"] == channel), None)
            if entry is None:
                members = [o for o in first.network.net["channels"] if o["name"] == channel][0]["orgs"]
                entry = {"name": channel, "orgs": list(members)}
                entries.append(entry)
            if org not in entry["orgs"]:
                entry["orgs"].append(org)
            network_yaml.write_text(yaml.safe_dump(doc, sort_keys=False))
            c.compile()
            c.network.read_topology()

        handed = []

        def hand_on(inputs: dict, signed: dict) -> dict:
            """What the operators do at the `wait` step: the update goes to
            the second cluster, which signs and sends it; nothing comes back."""
            assert inputs["channel"] == channel, inputs
            update = self.work / f"{channel}-update.pb"
            update.write_bytes(base64.b64decode(signed[channel]))
            self.flow(second, "channel-update", **{
                "update.scope": "application",
                "flow.channel.include": [channel],
                "update.file": str(update),
            })
            first.network.bind_hosts()
            handed.append(channel)
            return {"update": ""}

        print(f"== cluster {first.name}")
        first.network.bind_hosts()
        workflows = first.flow("peer-org", on_suspend=hand_on)
        assert handed == [channel], f"the update was not handed on: {handed}"
        assert f"{org}" in workflows.logs(), "the finish step said nothing of the org"
        self.flow(joining, "channel")
        joining.network.bind_hosts()
        assert channel in joining.joined(org), f"{org} not on {channel}"
        print(f"org addition OK: {org} on {channel}, signed in {first.name} and {second.name}")
