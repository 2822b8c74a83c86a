#!/usr/bin/env python3
"""The e2e harness's Kubernetes stand-ins, without root or Fabric binaries.

    python3 tests/e2e/test_run.py PROJECT CHART

PROJECT is a fabchart project (its values.yaml, if any, is used as run.py
uses it), CHART its compiled hlf-kube chart. Run by tests/conformance.rs for
every sample. It checks that the harness (kube.py, cluster.py) starts each
container of the rendered chart with exactly its env (values, valueFrom,
`$(VAR)`), command, args and volumeMounts, that its process check
(cluster.Network.mismatches, fed from /proc in a real run) catches any env
var that is missing, different or extra, and parts of the Argo stand-in
(argo.py).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import pathlib
import sys
import tempfile
import unittest

import yaml

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import argo  # noqa: E402
import cluster  # noqa: E402
import kube  # noqa: E402

PROJECT: pathlib.Path
CHART: pathlib.Path


def secret(name: str, data: dict[str, str]) -> dict:
    return {
        "kind": "Secret",
        "metadata": {"name": name},
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
    }


def config_map(name: str, data: dict[str, str]) -> dict:
    return {"kind": "ConfigMap", "metadata": {"name": name}, "data": data}


POD = {"metadata": {"name": "p-0", "labels": {"app": "x"}}, "spec": {}, "status": {"podIP": "10.254.1.2"}}


class KubernetesSemantics(unittest.TestCase):
    def test_expand(self):
        env = {"A": "a", "B": "b"}
        self.assertEqual(kube.expand("$(A)-$(B)", env), "a-b")
        self.assertEqual(kube.expand("$$(A)", env), "$(A)")
        self.assertEqual(kube.expand("$(C) $A $", env), "$(C) $A $")
        self.assertEqual(kube.expand("$(A", env), "$(A")

    def test_container_env(self):
        objects = kube.Objects([secret("s", {"user": "u", "pw": "p"}), config_map("c", {"k": "v", "l": "w"})])
        container = {
            "envFrom": [{"configMapRef": {"name": "c"}, "prefix": "CM_"}],
            "env": [
                {"name": "USER", "valueFrom": {"secretKeyRef": {"name": "s", "key": "user"}}},
                {"name": "K", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k"}}},
                {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                {"name": "APP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
                {"name": "ADDR", "value": "$(IP):7051 $(LATER) $(CM_l)"},
                {"name": "LATER", "value": "x"},
                {"name": "GONE", "valueFrom": {"secretKeyRef": {"name": "s", "key": "no", "optional": True}}},
            ],
        }
        self.assertEqual(
            kube.container_env(container, objects, POD),
            {
                "CM_k": "v",
                "CM_l": "w",
                "USER": "u",
                "K": "v",
                "IP": "10.254.1.2",
                "POD": "p-0",
                "APP": "x",
                "ADDR": "10.254.1.2:7051 $(LATER) w",
                "LATER": "x",
            },
        )
        with self.assertRaises(SystemExit):
            kube.container_env(
                {"env": [{"name": "X", "valueFrom": {"secretKeyRef": {"name": "s", "key": "no"}}}]},
                objects,
                POD,
            )

    def test_materialize(self):
        objects = kube.Objects([secret("s", {"a": "1", "b": "2"}), config_map("c", {"k": "v"})])
        with tempfile.TemporaryDirectory() as tmp:
            root = pathlib.Path(tmp)
            volume = {
                "name": "v",
                "secret": {
                    "secretName": "s",
                    "defaultMode": 0o440,
                    "items": [{"key": "a", "path": "x/a.pem"}],
                },
            }
            kube.materialize(volume, objects, root / "s")
            self.assertEqual(sorted(p.name for p in (root / "s").rglob("*") if p.is_file()), ["a.pem"])
            self.assertEqual((root / "s/x/a.pem").read_text(), "1")
            self.assertEqual((root / "s/x/a.pem").stat().st_mode & 0o777, 0o440)
            kube.materialize({"name": "c", "configMap": {"name": "c"}}, objects, root / "c")
            self.assertEqual((root / "c/k").read_text(), "v")
            projected = {
                "name": "p",
                "projected": {"sources": [{"secret": {"name": "s"}}, {"configMap": {"name": "c"}}]},
            }
            kube.materialize(projected, objects, root / "p")
            self.assertEqual(sorted(p.name for p in (root / "p").iterdir()), ["a", "b", "k"])


class ChartPods(unittest.TestCase):
    """The sample's chart, planned and prepared as run.py does before a start."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        tmp = pathlib.Path(cls.tmp.name)
        topology = json.loads((CHART / "topology.json").read_text())
        cls.version = topology["network"]["settings"]["fabricVersion"]
        fake = {"bin": kube.TOOLS + ("orderer",), "config": ("core.yaml", "orderer.yaml", "configtx.yaml")}
        fake["builder"] = ("detect", "build", "release")
        for folder, names in fake.items():
            (tmp / folder).mkdir()
            for name in names:
                (tmp / folder / name).write_text(name)
        (tmp / "chaincode").write_text("chaincode")
        cls.args = argparse.Namespace(
            project=PROJECT,
            fabric_bin=tmp / "bin",
            fabric_config=tmp / "config",
            ccaas_builder=tmp / "builder",
            chaincode=tmp / "chaincode",
        )
        chaincodes = {cc["image"] for cc in topology["network"]["chaincodes"] if cc.get("image")}
        fs = kube.Filesystems(kube.stock_images(cls.args, cls.version), cls.version, chaincodes)
        (tmp / "work").mkdir()
        cls.network = cluster.Network(CHART, tmp / "work", cls.args, fs)
        for pod in cls.network.pods:
            cls.network.prepare(pod)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def faithful(self, pod, c):
        """What /proc shows for a container run exactly as its Launch says."""
        binary = c.image.files["/usr/local/bin"][c.launch.argv[0]]
        mounted = {dst for _, dst, _ in c.launch.mounts}
        return dict(c.launch.env), list(c.launch.argv), os.stat(binary), mounted

    def test_every_node_is_started(self):
        kinds = {}
        for pod in self.network.pods:
            kinds.setdefault(pod.labels["app.kubernetes.io/component"], []).append(pod.name)
        nodes = [n for o in self.network.orgs.values() for n in o["nodes"]]
        self.assertEqual(len(kinds["peer"]) + len(kinds["orderer"]), len(nodes))
        self.assertNotIn("couchdb", kinds, "CouchDB is not run: the harness renders goleveldb")
        self.assertEqual(len(set(p.ip for p in self.network.pods)), len(self.network.pods))

    def test_launch_is_the_rendered_container(self):
        for pod in self.network.pods:
            for c in pod.containers:
                rendered = c.spec
                for e in rendered.get("env", []):
                    self.assertIn(e["name"], c.launch.env, f"{pod.name}: {e['name']}")
                    if "value" in e and "$(" not in str(e["value"]):
                        self.assertEqual(c.launch.env[e["name"]], str(e["value"]), f"{pod.name}: {e['name']}")
                self.assertEqual(
                    c.launch.argv,
                    [*(rendered.get("command") or c.image.entrypoint), *rendered.get("args", [])],
                )
                targets = {dst: (src, ro) for src, dst, ro in c.launch.mounts}
                for m in rendered.get("volumeMounts", []):
                    self.assertIn(m["mountPath"], targets, f"{pod.name}: {m['mountPath']}")
                    src, ro = targets[m["mountPath"]]
                    self.assertEqual(ro, bool(m.get("readOnly")))
                    self.assertTrue(pathlib.Path(src).is_dir(), src)
                volumes = {v["name"]: v for v in pod.spec.get("volumes", [])}
                for m in rendered.get("volumeMounts", []):
                    items = volumes.get(m["name"], {}).get("secret", {}).get("items", [])
                    for item in items:
                        self.assertTrue(
                            (pathlib.Path(targets[m["mountPath"]][0]) / item["path"]).is_file(), item
                        )
                self.assertEqual(self.network.mismatches(pod, c, *self.faithful(pod, c)), [])

    def test_a_missing_different_or_extra_env_var_is_caught(self):
        for pod in self.network.pods:
            for c in pod.containers:
                environ, argv, exe, mounted = self.faithful(pod, c)
                for e in c.spec.get("env", []):
                    less = {k: v for k, v in environ.items() if k != e["name"]}
                    self.assertTrue(self.network.mismatches(pod, c, less, argv, exe, mounted), e["name"])
                    other = dict(environ, **{e["name"]: environ.get(e["name"], "") + "x"})
                    self.assertTrue(self.network.mismatches(pod, c, other, argv, exe, mounted), e["name"])
                self.assertTrue(
                    self.network.mismatches(pod, c, dict(environ, E2E_EXTRA="1"), argv, exe, mounted)
                )
                self.assertTrue(self.network.mismatches(pod, c, environ, [*argv, "x"], exe, mounted))
                first = next(iter(c.spec.get("volumeMounts", [])), None)
                if first:
                    self.assertTrue(
                        self.network.mismatches(pod, c, environ, argv, exe, mounted - {first["mountPath"]})
                    )

    def test_couchdb_credentials_come_from_their_secret(self):
        objects = kube.Objects(
            kube.render(CHART, kube.merge(self.network.values, {"peer": {"stateDatabase": "CouchDB"}}))
        )
        peers = [
            s
            for s in objects.kind("StatefulSet")
            if s["metadata"]["labels"]["app.kubernetes.io/component"] == "peer"
        ]
        self.assertTrue(peers)
        for sts in peers:
            env = kube.container_env(sts["spec"]["template"]["spec"]["containers"][0], objects, POD)
            self.assertEqual(env["CORE_LEDGER_STATE_STATEDATABASE"], "CouchDB")
            # The password fabchart compile generated, kept beside the keys.
            generated = yaml.safe_load((CHART / "credentials.yaml").read_text())["couchdb"]
            self.assertEqual(env["CORE_LEDGER_STATE_COUCHDBCONFIG_USERNAME"], generated["username"])
            self.assertEqual(env["CORE_LEDGER_STATE_COUCHDBCONFIG_PASSWORD"], generated["password"])

    def test_names_resolve_as_services_and_host_aliases_do(self):
        for pod in self.network.pods:
            hosts = (self.network.work / "pods" / pod.name / "hosts").read_text()
            self.assertIn(f"{pod.ip}\t{pod.name}", hosts)
            for name, ip in self.network.hosts.items():
                self.assertIn(f"{ip}\t{name} ", hosts)
        if self.network.net["settings"]["useActualDomains"]:
            fqdns = {n["fqdn"] for o in self.network.orgs.values() for n in o["nodes"]}
            for pod in self.network.pods:
                aliases = {h for a in pod.spec.get("hostAliases", []) for h in a["hostnames"]}
                self.assertEqual(aliases, fqdns, f"{pod.name}: the chart's hostAliases")


class ArgoStandIn(unittest.TestCase):
    """The parts of the stand-in for Argo that the backup and restore flows
    lean on, without processes: `when`, successCondition, and the merge patch
    of a StatefulSet (replicas and the resume annotation)."""

    def test_when_expressions(self):
        holds = argo.Workflows.holds
        self.assertTrue(holds("'Failed' != 'Succeeded'"))
        self.assertFalse(holds("'Succeeded' != 'Succeeded' || 'Skipped' != 'Skipped'"))
        self.assertTrue(holds("'Succeeded' != 'Succeeded' || 'Failed' != 'Succeeded'"))
        self.assertFalse(holds("'true' == 'true' && '1' != '' && '0' != '0'"))
        self.assertTrue(holds("'true' == 'true' && '1' != '' && '1' != '0'"))

    def test_success_conditions(self):
        ok = argo.Workflows.condition_holds
        self.assertTrue(ok("status.replicas == 0", {"status": {"replicas": 0}}))
        self.assertFalse(ok("status.replicas == 0", {"status": {"replicas": 1}}))
        # readyReplicas is left out of a StatefulSet's status while it is 0.
        self.assertFalse(ok("status.readyReplicas == 1", {"status": {"replicas": 1}}))
        self.assertTrue(ok("status.readyReplicas == 1", {"status": {"replicas": 1, "readyReplicas": 1}}))

    def test_statefulset_patches_merge(self):
        network = cluster.Network.__new__(cluster.Network)
        network.pods, network.live = [], {
            "sts": {"metadata": {"name": "sts", "annotations": {"a": "1"}}, "spec": {"replicas": 0}}
        }
        network.kube_patch("StatefulSet", "sts", {
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "sts", "annotations": {"a": None, "b": "2"}}, "spec": {"replicas": 0},
        })
        self.assertEqual(network.live["sts"]["metadata"], {"name": "sts", "annotations": {"b": "2"}})
        self.assertIsNone(network.kube_get("StatefulSet", "other"))
        self.assertEqual(network.kube_get("StatefulSet", "sts")["status"], {"replicas": 0})


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    PROJECT, CHART = (pathlib.Path(a).resolve() for a in sys.argv[1:])
    unittest.main(argv=sys.argv[:1])
