"""A sequential stand-in for the Argo controller, for the e2e harness (run.py).

Workflows runs a workflow `fabchart flow` prints, step by step: each script
step in a mount namespace of its own on its image's files (kube.py's
Launch), with the rendered Secrets and ConfigMaps at the pod's paths, and
resource templates against the StatefulSet stand-in of cluster.py's
Network. Argo's own schema check is in tests/conformance.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys
import time

import yaml

from cluster import Network
from kube import (
    BRIDGE_IP,
    LAUNCHER,
    Filesystems,
    Launch,
    Objects,
    container_env,
    expand,
    identity,
    materialize,
    own_volume,
    render,
    runtime_env,
)


class StepFailed(Exception):
    """A step ended Failed (or Error): its template's node, as Argo marks it."""


class Interrupted(Exception):
    """The workflow was ended from outside (`argo stop` or `argo terminate`)."""


class Workflows:
    """A sequential stand-in for the Argo controller, for fabchart's workflows:
    steps (one item at a time), withParam/withItems, when (==, != joined by
    && or ||), continueOn, retryStrategy, suspend (resumed at once, or by
    on_suspend), script
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
        # A suspend step (`argo resume` by hand in a real cluster): called
        # with the template's inputs and the `signed` outputs so far (by
        # channel); returns its output parameters. None: resumed at once
        # with the defaults.
        self.on_suspend = None
        self.signed: dict[str, str] = {}

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
            if self.on_suspend:
                inputs_now = {k.split(".", 2)[2]: v for k, v in ctx.items() if k.startswith("inputs.parameters.")}
                return self.on_suspend(inputs_now, self.signed)
            return {
                p["name"]: p["valueFrom"].get("default", "")
                for p in t.get("outputs", {}).get("parameters", [])
            }
        if "resource" in t:
            outputs = self.resource(t, ctx, depth)
        else:
            outputs = self.script(t, ctx, depth)
            if outputs.get("signed") and "inputs.parameters.channel" in ctx:
                self.signed[ctx["inputs.parameters.channel"]] = outputs["signed"]
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
        if r["action"] == "delete":
            print(f"{indent}| delete {kind} {name}")
            self.cluster.kube_delete(kind, name)
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
            # The pod's securityContext: the workflow's, under the template's own.
            security = {**(self.spec.get("securityContext") or {}), **(t.get("securityContext") or {})}
            for v in t.get("volumes", []):
                if "persistentVolumeClaim" not in v:
                    own_volume(volumes[v["name"]], security.get("fsGroup"), "emptyDir" in v)
            own_volume(tmp, security.get("fsGroup"), True)
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
            spec = Launch(argv, env, mounts, name, script.get("workingDir", "/"), **identity(security, script))
            spec_file = spec.write(pod / "launch.json")
            r = subprocess.run(
                [
                    "unshare",
                    "--mount",
                    "--uts",
                    "--propagation",
                    "private",
                    sys.executable,
                    str(LAUNCHER),
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
