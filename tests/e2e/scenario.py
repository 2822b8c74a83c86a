"""What the e2e harness (run.py) runs on the started network, and checks.

Scenario compiles the project for the release of the binaries, plans the
network (cluster.py) and runs the flows through the Argo stand-in
(argo.py): channel, chaincode (each twice: the second run must change
nothing), the sample application, an orderer config update, adding an
org to a channel; then, on samples with peer and orderer persistence, the
restore drill against each object store of stores.py (backup, destroy,
restore, and on S3 the faults).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import re
import shutil
import subprocess
import time

import yaml

import stores
from argo import Workflows
from cluster import Network
from kube import GATEWAY_CLIENT, ROOT, Filesystems, merge, release_builder, release_config, run, stock_images


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
        self.drill_keys: list[tuple[str, str, str, str]] = []  # chaincode, channel, key, value

    @property
    def chart(self) -> pathlib.Path:
        return self.project / "out" / "hlf-kube"

    def compile(self) -> None:
        print(run([self.args.fabchart, "compile", self.project]).strip())

    def flow(self, kind: str, expect: str = "Succeeded", interrupt: tuple | None = None,
             on_suspend=None, **options) -> Workflows:
        """Prints workflow `kind` with `options` (dotted keys, passed in a
        values file so that JSON values stay strings) and runs it; it must end
        `expect`. `interrupt`, `on_suspend`: see Workflows."""
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
        workflows.on_suspend = on_suspend
        status = workflows.submit(run(cmd, stdout_only=True), interrupt)
        if status != expect:
            raise SystemExit(f"flow {kind} ended {status}, not {expect}")
        self.network.check_alive()
        return workflows

    def persistent(self) -> bool:
        """Whether peers and orderers keep their data on claims (values'
        peer/orderer.persistence.enabled), not in emptyDirs."""
        values = self.network.values
        return all(values.get(k, {}).get("persistence", {}).get("enabled") for k in ("peer", "orderer"))

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
        self.upgrade_check()
        first = net["channels"][0]["name"]
        update = {
            "update.scope": "orderer",
            "flow.channel.include": [first],
            "update.orderer.batchSize.maxMessageCount": 77,
        }
        self.flow("channel-update", **update)
        self.flow("channel-update", **update)
        self.smart_bft_update()
        self.orderer_down()
        self.grow_consenters()
        self.add_org()
        self.restore_drill()
        self.upgrade()

    def smart_bft_update(self) -> None:
        """channel-update's SmartBFT options on the BFT channels, twice (the
        second run finds nothing to do); the configs then hold them."""
        bft = [ch["name"] for ch in self.network.net["channels"]
               if ch["profile"]["orderer"]["ordererType"] == "BFT"]
        if not bft:
            print("SmartBFT options update NOT RUN: no BFT channel")
            return
        update = {
            "update.scope": "orderer",
            "flow.channel.include": bft,
            "update.orderer.smartBft.requestBatchMaxCount": 90,
            "update.orderer.smartBft.requestBatchMaxInterval": "100ms",
            "update.orderer.smartBft.speedUpViewChange": True,
        }
        self.flow("channel-update", **update)
        second = self.flow("channel-update", **update)
        for name in bft:
            assert f"{name} holds every value already" in second.logs(), f"a second update of {name} changed it"
            metadata = self.channel_config(name)["channel_group"]["groups"]["Orderer"]["values"]["ConsensusType"]["value"]["metadata"]
            got = {k: metadata[k] for k in ("request_batch_max_count", "request_batch_max_interval", "speed_up_view_change")}
            want = {"request_batch_max_count": "90", "request_batch_max_interval": "100ms", "speed_up_view_change": True}
            assert got == want, f"{name}: {got}"
        print(f"SmartBFT options update OK on {', '.join(bft)}")

    def upgrade_check(self) -> None:
        """The upgrade-check flow on the running channels (fabchart's, on the
        new lifecycle): every channel is ready for Fabric 3. What it refuses
        is tested on recorded configs (tests/flow: fabric3_blockers); the
        legacy lifecycle's chaincodes need Docker, which the harness lacks."""
        workflows = self.flow("upgrade-check")
        log = workflows.logs()
        for ch in self.network.net["channels"]:
            assert f"{ch['name']} is ready for Fabric 3" in log, f"upgrade-check said nothing of {ch['name']}"
        print("upgrade-check OK: every channel ready for Fabric 3")

    def grow_consenters(self) -> None:
        """An orderer node that runs but is no consenter (configtx.yaml lists
        consenters without it) becomes one of every channel: the listing is
        dropped from configtx.yaml (every node a consenter), compile runs
        again, and the channel flow adds the node to each channel's consenter
        set and joins it."""
        net = self.network.net
        listed = {c["host"] for ch in net["channels"] for c in ch["profile"]["orderer"]["consenters"]}
        idle = [
            n
            for o in self.network.orgs.values()
            if o["kind"] == "orderer"
            for n in o["nodes"]
            if n["host"] not in listed
        ]
        if not idle:
            print("consenter growth NOT RUN: every orderer node is a consenter")
            return
        configtx = self.project / "configtx.yaml"
        listing = configtx.read_text()
        doc = yaml.safe_load(listing)
        sections = [doc.get("Orderer") or {}] + [(p.get("Orderer") or {}) for p in doc["Profiles"].values()]
        for section in sections:
            section.pop("ConsenterMapping", None)
            (section.get("EtcdRaft") or {}).pop("Consenters", None)
        configtx.write_text(yaml.safe_dump(doc, sort_keys=False))
        self.compile()
        self.flow("channel")
        for node in idle:
            org = next(o for o in self.network.orgs.values() if node in o["nodes"])
            for ch in net["channels"]:
                deadline = time.time() + 120
                while True:
                    status = self.network.osn_channel(org["name"], node, ch["name"])
                    if status.get("consensusRelation") == "consenter" and status.get("status") == "active":
                        break
                    if time.time() > deadline:
                        raise SystemExit(f"{node['host']} on {ch['name']}: {status}")
                    time.sleep(2)
        self.flow("channel")
        print(f"consenter growth OK: {', '.join(n['host'] for n in idle)} consenter of every channel")
        # Back to the listing: the channel flow removes the nodes again.
        configtx.write_text(listing)
        self.compile()
        self.flow("channel")
        gone = {f"{n['host']}:{n['port']}" for n in idle}
        for ch in net["channels"]:
            kept = self.consenters(ch["name"])
            assert not kept & gone, f"{ch['name']} still has consenters {kept & gone}"
            want = {f"{c['host']}:{c['port']}" for c in ch["profile"]["orderer"]["consenters"]}
            assert kept == want, f"{ch['name']} has consenters {kept}, the inputs list {want}"
        self.flow("channel")
        print(f"consenter removal OK: {', '.join(sorted(gone))} no consenter of any channel")

    def channel_config(self, channel: str) -> dict:
        """`channel`'s config (decoded common.Config), fetched from the flows'
        orderer as its org's admin."""
        orderer = self.network.net["flowOrderer"]
        env = self.network.admin_cli(orderer["org"])
        admin = self.work / "cli" / self.network.orgs[orderer["org"]]["key"]
        block = self.work / f"{channel}-config.block"
        cmd = ["channel", "fetch", "config", str(block), "-c", channel, "-o", f"{orderer['host']}:{orderer['port']}"]
        if self.network.tls:
            cmd += ["--tls", "--cafile", str(admin / "tls/ca.crt")]
        run([self.args.fabric_bin / "peer", *cmd], env=env)
        decoded = json.loads(
            run([self.args.fabric_bin / "configtxlator", "proto_decode", "--input", str(block),
                 "--type", "common.Block"], stdout_only=True)
        )
        return decoded["data"]["data"][0]["payload"]["data"]["config"]

    def consenters(self, channel: str) -> set[str]:
        """The consenters (host:port) of `channel`'s config."""
        values = self.channel_config(channel)["channel_group"]["groups"]["Orderer"]["values"]
        if "Orderers" in values:
            members = values["Orderers"]["value"]["consenter_mapping"]
        else:
            members = values["ConsensusType"]["value"]["metadata"]["consenters"]
        return {f"{m['host']}:{m['port']}" for m in members}

    def upgrade(self) -> None:
        """The upgrade to --upgrade-to's release, as the README has it (the
        upgrade-check flow ran before): fabricVersion and the V3_0 channel
        capability in the inputs, compile; helm upgrade with the nodes'
        updateStrategy OnDelete (no node restarts), then the rollout flow
        replaces them one at a time, orderers first, on the new binaries,
        and a second rollout replaces none; every ledger kept its height;
        the channel flow, then channel-update raising every channel to V3_0;
        the channels' configs say V3_0, and the chaincode flow commits
        nothing new and invokes."""
        if not self.args.upgrade_to:
            print("upgrade NOT RUN: no --upgrade-to")
            return
        if not self.persistent():
            print("upgrade NOT RUN: the sample keeps its ledgers in emptyDirs, which a restart from a new chart empties")
            return
        version = fabric_version(self.args.upgrade_to)
        release = argparse.Namespace(**vars(self.args))
        release.fabric_bin = self.args.upgrade_to
        release.fabric_config = release_config(self.args.upgrade_to)
        release.ccaas_builder = release_builder(self.args.upgrade_to)
        self.fs.add_release(version, stock_images(release, version))
        network_yaml = self.project / "network.yaml"
        doc = yaml.safe_load(network_yaml.read_text())
        doc["fabricVersion"] = version
        network_yaml.write_text(yaml.safe_dump(doc, sort_keys=False))
        configtx = self.project / "configtx.yaml"
        doc = yaml.safe_load(configtx.read_text())
        doc["Capabilities"]["Channel"] = {"V3_0": True}
        configtx.write_text(yaml.safe_dump(doc, sort_keys=False))
        heights = {k: v for k, v in self.ledger_state().items() if k[0] != "value"}
        self.compile()
        for kind in ("orderer", "peer"):
            self.network.values = merge(self.network.values, {kind: {"updateStrategy": "OnDelete"}})
        orgs = self.network.orgs.values()
        nodes = [f"{n['object']}-0" for kind in ("orderer", "peer") for o in orgs if o["kind"] == kind for n in o["nodes"]]
        self.network.upgrade()
        assert set(nodes) <= set(self.network.pending), f"helm upgrade restarted {set(nodes) - set(self.network.pending)}"
        self.network.deleted = []
        self.flow("rollout")
        assert not self.network.pending, f"the rollout left {list(self.network.pending)} outdated"
        self.network.check_pods()
        assert self.network.deleted == nodes, f"the rollout replaced {self.network.deleted}, not {nodes} in turn"
        self.flow("rollout")
        assert self.network.deleted == nodes, "a second rollout replaced a node"
        print(f"rollout OK: {', '.join(nodes)} replaced one at a time; a second rollout replaced none")
        after = self.ledger_state()
        shorter = {k: (v, after.get(k)) for k, v in heights.items() if (after.get(k) or 0) < v}
        assert not shorter, f"ledgers lost blocks in the upgrade (before, after): {shorter}"
        print(f"the {len(heights)} ledgers kept their blocks through the upgrade")
        before = self.sequences() if "chaincode" in self.fs.images else {}
        self.flow("channel")
        self.flow("channel-update", **{"update.scope": "channel", "update.channel.capabilities.version": "V3_0"})
        for ch in self.network.net["channels"]:
            capabilities = self.channel_config(ch["name"])["channel_group"]["values"]["Capabilities"]["value"]
            assert "V3_0" in capabilities["capabilities"], f"{ch['name']}: {capabilities}"
        if "chaincode" in self.fs.images:
            self.flow(
                "chaincode",
                **{"flow.invoke.enabled": True, "flow.invoke.function": self.args.invoke,
                   "flow.init.function": self.args.init},
            )
            assert self.sequences() == before, "the chaincode flow changed a definition after the upgrade"
        print(f"upgrade OK: Fabric {self.version} -> {version}, every channel V3_0, the chaincode invoked")

    def orderer_down(self) -> None:
        """A BFT channel with one of its consenters stopped (f = 1 of 4): the
        channel flow and the chaincode flow's invoke still succeed; with the
        node back, the channel flow finds every consenter joined."""
        net = self.network.net
        bft = [ch for ch in net["channels"] if ch["profile"]["orderer"]["ordererType"] == "BFT"]
        if not bft:
            print("orderer-down run NOT RUN: no BFT channel")
            return
        flow_orderer = net["flowOrderer"]["host"]
        consenter = next(c for c in reversed(bft[0]["profile"]["orderer"]["consenters"]) if c["host"] != flow_orderer)
        pod = next(p for p in self.network.pods if p.name == f"{consenter['host']}-0")
        self.network.stop_pod(pod)
        self.flow("channel")
        if "chaincode" in self.fs.images:
            self.flow(
                "chaincode",
                **{"flow.invoke.enabled": True, "flow.invoke.function": self.args.invoke,
                   "flow.init.function": self.args.init},
            )
        self.network.start_pod(pod)
        self.network.wait_ready()
        self.flow("channel")
        print(f"orderer-down run OK: {consenter['host']} stopped, channel and chaincode flows succeeded")

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
        if not self.persistent():
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
