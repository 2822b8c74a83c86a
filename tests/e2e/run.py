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
   binary (stock_images). It then checks that each process got exactly
   the container's environment and arguments (Network.check_pods);
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

This file is the command line; the harness is in the modules beside it:

- kube.py: what Kubernetes and the stock images would add, and the harness
  adds instead (listed at its top); the kubelet's part: rendering, Secret
  and ConfigMap data, env, volumes, the start of a container (`run.py
  --launch SPEC`, which this file hands to kube.launch) on its image's
  files (stock_images, Filesystems);
- cluster.py: the pods as a process table (Network: network namespaces,
  /etc/hosts, start, readiness, the /proc check) and the StatefulSet
  stand-in the backup and restore flows' resource templates act on;
- argo.py: the stand-in for the Argo controller (Workflows);
- scenario.py: what runs on the network and is checked (Scenario), the
  restore drill included;
- crosscluster.py: a folder of projects (samples/cross-cluster) as one
  network over several clusters that exchange only bundles and a signed
  update (CrossCluster);
- stores.py: the restore drill's object-store servers.

    python3 tests/e2e/run.py samples/scaled-raft-tls --fabric-bin ~/fabric/bin \\
        --chaincode ~/cc/server --invoke '{"Args":["put","k","v"]}'
"""

from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import sys
import tempfile

from kube import ROOT, launch, release_builder, release_config
from crosscluster import CrossCluster
from scenario import Scenario

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
        "--upgrade-to",
        type=pathlib.Path,
        help="bin/ of a later Fabric release (its config/ and chaincode-as-a-service builder beside "
        "it, as a release archive has them): at the end the network is upgraded to it (upgrade-check, "
        "fabricVersion, compile, every node restarted from the new chart, the channels raised to V3_0)",
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

def check_release(bin_: pathlib.Path, config: pathlib.Path, builder: pathlib.Path) -> None:
    """The files of a release the harness uses."""
    wanted = {
        bin_: ("peer", "orderer", "osnadmin", "configtxgen", "configtxlator"),
        config: ("core.yaml", "orderer.yaml", "configtx.yaml"),
        builder: ("detect", "build", "release"),
    }
    for folder, names in wanted.items():
        for name in names:
            if not (folder / name).is_file():
                raise SystemExit(
                    f"{folder / name}: not found (see --fabric-bin, --fabric-config, --ccaas-builder, --upgrade-to)"
                )


def main() -> None:
    args = parse_args()
    for path in (
        "project",
        "fabric_bin",
        "upgrade_to",
        "fabric_config",
        "ccaas_builder",
        "chaincode",
        "fabchart",
        "workdir",
    ):
        if getattr(args, path):
            setattr(args, path, getattr(args, path).resolve())
    args.fabric_config = args.fabric_config or release_config(args.fabric_bin)
    args.ccaas_builder = args.ccaas_builder or release_builder(args.fabric_bin)
    check_release(args.fabric_bin, args.fabric_config, args.ccaas_builder)
    if args.upgrade_to:
        check_release(args.upgrade_to, release_config(args.upgrade_to), release_builder(args.upgrade_to))
    enter_namespace()
    work = args.workdir or pathlib.Path(tempfile.mkdtemp(prefix="fabchart-e2e-", dir="/var/tmp"))
    if work.is_relative_to("/tmp"):
        raise SystemExit("--workdir: not under /tmp, which each step replaces with its own")
    if args.workdir:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
    try:
        if (args.project / "network.yaml").is_file():
            scenario = Scenario(args, work)
            try:
                scenario.network.setup()
                scenario.network.start()
                scenario.run()
            finally:
                scenario.network.stop()
        else:
            # A folder of projects: one network over several clusters.
            clusters = CrossCluster(args, work)
            try:
                clusters.setup()
                clusters.start()
                clusters.run()
            finally:
                clusters.stop()
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    print("E2E PASSED")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--launch":
        launch(sys.argv[2])
    else:
        main()
