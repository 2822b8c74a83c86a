//! Stopping a node and starting it again: the StatefulSet templates shared
//! by backup and restore, Argo `resource` templates (no kubectl image) and
//! the `plan` script that judges a StatefulSet before it is stopped.

use serde_json::{json, Value};

use super::{step, Claim, RESUME_PARALLELISM};
use crate::model::names;
use crate::render::workflow::options::BackupFlowKeys;
use crate::render::workflow::{env, inputs, manifest, param, Builder};

impl<O: BackupFlowKeys> Builder<'_, O> {
    /// The StatefulSet templates shared by backup and restore: read it, check
    /// its claim, stop it, start it again; the exit handler, which for a
    /// restore (`settle`) first settles the volumes of nodes still stopped.
    pub(super) fn statefulset_templates(
        &self,
        dry_run: bool,
        settle: bool,
    ) -> anyhow::Result<Vec<Value>> {
        let annotation = names::RESUME_REPLICAS_ANNOTATION;
        let wait = self.options.backup().wait_seconds;
        let volume_inputs = ["statefulset", "claim", "volume", "kind"];
        let volume_args = || {
            volume_inputs
                .iter()
                .map(|n| param(n, format!("{{{{inputs.parameters.{n}}}}}")))
                .collect::<Vec<_>>()
        };
        let read_statefulset = step(
            "statefulset",
            "get-statefulset",
            vec![param("statefulset", "{{inputs.parameters.statefulset}}")],
        );
        // A missing claim is reported by `plan`, in words.
        let mut read_claim = step(
            "claim",
            "get-claim",
            vec![param("claim", "{{inputs.parameters.claim}}")],
        );
        read_claim["continueOn"] = json!({ "failed": true, "error": true });
        let mut plan_args = volume_args();
        plan_args.extend([
            param("claims", "{{steps.statefulset.outputs.parameters.claims}}"),
            param("claim-phase", "{{steps.claim.status}}"),
            param("resume", "{{steps.statefulset.outputs.parameters.resume}}"),
            param(
                "replicas",
                "{{steps.statefulset.outputs.parameters.replicas}}",
            ),
        ]);
        let mut templates = vec![
            json!({
                "name": "get-statefulset",
                "inputs": inputs(&["statefulset"]),
                "resource": {
                    "action": "get",
                    "manifest": manifest("StatefulSet", "apps/v1", "{{inputs.parameters.statefulset}}", ""),
                },
                "outputs": { "parameters": [
                    { "name": "claims", "valueFrom": { "jqFilter": "[.spec.volumeClaimTemplates[]?.metadata.name] | join(\" \")" } },
                    { "name": "replicas", "valueFrom": { "jqFilter": ".spec.replicas" } },
                    { "name": "resume", "valueFrom": { "jqFilter": format!(".metadata.annotations[\"{annotation}\"] // \"\"") } },
                ]},
            }),
            json!({
                "name": "get-claim",
                "inputs": inputs(&["claim"]),
                "resource": {
                    "action": "get",
                    "manifest": manifest("PersistentVolumeClaim", "v1", "{{inputs.parameters.claim}}", ""),
                },
            }),
            Self::steps_template(
                "check",
                &volume_inputs,
                vec![
                    json!([read_statefulset, read_claim]),
                    json!([step("plan", "plan", plan_args)]),
                ],
                true,
            ),
            {
                let mut t = self.copy_step(
                    "plan",
                    "backup-plan",
                    &[
                        "statefulset",
                        "claim",
                        "volume",
                        "kind",
                        "claims",
                        "claim-phase",
                        "resume",
                        "replicas",
                    ],
                    vec![
                        env("STATEFULSET", "{{inputs.parameters.statefulset}}"),
                        env("CLAIM", "{{inputs.parameters.claim}}"),
                        env("VOLUME", "{{inputs.parameters.volume}}"),
                        env(
                            "VALUES_KEY",
                            "{{inputs.parameters.kind}}.persistence.enabled",
                        ),
                        env("CLAIMS", "{{inputs.parameters.claims}}"),
                        env("CLAIM_PHASE", "{{inputs.parameters.claim-phase}}"),
                        env("RESUME", "{{inputs.parameters.resume}}"),
                        env("REPLICAS", "{{inputs.parameters.replicas}}"),
                        env("DRY_RUN", dry_run.to_string()),
                    ],
                    Claim::None,
                    false,
                )?;
                t["outputs"] = json!({ "parameters": [
                    { "name": "replicas", "valueFrom": { "path": "/tmp/replicas" } },
                ]});
                t
            },
        ];
        if let Some(check) = templates.iter_mut().find(|t| t["name"] == "check") {
            check["outputs"] = json!({ "parameters": [
                { "name": "replicas", "valueFrom": { "parameter": "{{steps.plan.outputs.parameters.replicas}}" } },
            ]});
        }
        if dry_run {
            return Ok(templates);
        }
        templates.extend([
            Self::steps_template(
                "stop",
                &volume_inputs,
                vec![
                    json!([step("check", "check", volume_args())]),
                    json!([step("scale-down", "scale-down", vec![
                        param("statefulset", "{{inputs.parameters.statefulset}}"),
                        param("replicas", "{{steps.check.outputs.parameters.replicas}}"),
                    ])]),
                    json!([step("stopped", "wait-stopped", vec![param("statefulset", "{{inputs.parameters.statefulset}}")])]),
                ],
                true,
            ),
            json!({
                "name": "scale-down",
                "inputs": inputs(&["statefulset", "replicas"]),
                "resource": {
                    "action": "patch",
                    "mergeStrategy": "merge",
                    "manifest": manifest("StatefulSet", "apps/v1", "{{inputs.parameters.statefulset}}",
                        &format!("  annotations:\n    {annotation}: \"{{{{inputs.parameters.replicas}}}}\"\nspec:\n  replicas: 0\n")),
                },
            }),
            json!({
                "name": "wait-stopped",
                "inputs": inputs(&["statefulset"]),
                "activeDeadlineSeconds": wait,
                "resource": {
                    "action": "get",
                    "successCondition": "status.replicas == 0",
                    "manifest": manifest("StatefulSet", "apps/v1", "{{inputs.parameters.statefulset}}", ""),
                },
            }),
            {
                let mut t = Self::steps_template(
                    "resume-all",
                    &["statefulsets", "wait"],
                    vec![json!([{
                        "name": "resume",
                        "template": "resume",
                        "arguments": { "parameters": [
                            param("statefulset", "{{item.statefulset}}"),
                            param("wait", "{{inputs.parameters.wait}}"),
                        ]},
                        "withParam": "{{inputs.parameters.statefulsets}}",
                    }])],
                    true,
                );
                t["parallelism"] = json!(RESUME_PARALLELISM);
                t
            },
            Self::steps_template(
                "resume",
                &["statefulset", "wait"],
                vec![
                    json!([step("read", "get-statefulset", vec![param("statefulset", "{{inputs.parameters.statefulset}}")])]),
                    json!([{
                        "name": "scale-up",
                        "template": "scale-up",
                        "arguments": { "parameters": [
                            param("statefulset", "{{inputs.parameters.statefulset}}"),
                            param("replicas", "{{steps.read.outputs.parameters.resume}}"),
                        ]},
                        "when": "'{{steps.read.outputs.parameters.resume}}' != ''",
                    }]),
                    json!([{
                        "name": "ready",
                        "template": "wait-ready",
                        "arguments": { "parameters": [
                            param("statefulset", "{{inputs.parameters.statefulset}}"),
                            param("replicas", "{{steps.read.outputs.parameters.resume}}"),
                        ]},
                        "when": "'{{inputs.parameters.wait}}' == 'true' && '{{steps.read.outputs.parameters.resume}}' != '' && '{{steps.read.outputs.parameters.resume}}' != '0'",
                    }]),
                ],
                true,
            ),
            json!({
                "name": "scale-up",
                "inputs": inputs(&["statefulset", "replicas"]),
                "resource": {
                    "action": "patch",
                    "mergeStrategy": "merge",
                    "manifest": manifest("StatefulSet", "apps/v1", "{{inputs.parameters.statefulset}}",
                        &format!("  annotations:\n    {annotation}: null\nspec:\n  replicas: {{{{inputs.parameters.replicas}}}}\n")),
                },
            }),
            json!({
                "name": "wait-ready",
                "inputs": inputs(&["statefulset", "replicas"]),
                "activeDeadlineSeconds": wait,
                "resource": {
                    "action": "get",
                    "successCondition": "status.readyReplicas == {{inputs.parameters.replicas}}",
                    "manifest": manifest("StatefulSet", "apps/v1", "{{inputs.parameters.statefulset}}", ""),
                },
            }),
            self.copy_step(
                "failed",
                "flow-failed",
                &["message"],
                vec![env("MESSAGE", "{{inputs.parameters.message}}")],
                Claim::None,
                false,
            )?,
        ]);
        let resume_all = json!({
            "name": "resume",
            "template": "resume-all",
            "arguments": { "parameters": [
                param("statefulsets", "{{workflow.parameters.statefulsets}}"),
                param("wait", "false"),
            ]},
        });
        let unless_succeeded = json!("'{{workflow.status}}' != 'Succeeded'");
        if !settle {
            let mut resume = resume_all;
            resume["when"] = unless_succeeded;
            templates.push(Self::steps_template(
                "exit",
                &[],
                vec![json!([resume])],
                true,
            ));
            return Ok(templates);
        }
        let mut restore_exit = step("restore-exit", "restore-exit", vec![]);
        restore_exit["when"] = unless_succeeded;
        let mut stopped = step(
            "stopped",
            "any-stopped",
            vec![param(
                "statefulsets",
                "{{workflow.parameters.statefulsets}}",
            )],
        );
        stopped["continueOn"] = json!({ "failed": true, "error": true });
        let mut judge = self.copy_step(
            "judge-stopped",
            "restore-stopped",
            &["resumes"],
            vec![env("RESUMES", "{{inputs.parameters.resumes}}")],
            Claim::None,
            false,
        )?;
        judge["outputs"] = json!({ "parameters": [
            { "name": "stopped", "valueFrom": { "path": "/tmp/stopped" } },
        ]});
        let mut any_stopped = Self::steps_template(
            "any-stopped",
            &["statefulsets"],
            vec![
                json!([{
                    "name": "read",
                    "template": "get-statefulset",
                    "arguments": { "parameters": [param("statefulset", "{{item.statefulset}}")] },
                    "withParam": "{{inputs.parameters.statefulsets}}",
                }]),
                json!([step(
                    "judge",
                    "judge-stopped",
                    vec![param("resumes", "{{steps.read.outputs.parameters.resume}}")]
                )]),
            ],
            true,
        );
        any_stopped["outputs"] = json!({ "parameters": [
            { "name": "stopped", "valueFrom": { "parameter": "{{steps.judge.outputs.parameters.stopped}}" } },
        ]});
        templates.extend([
            Self::steps_template("exit", &[], vec![json!([restore_exit])], true),
            // Killed between staging and swapping, a restore leaves some
            // volumes restored and others not: finish or undo that before
            // the nodes start again.
            Self::steps_template(
                "restore-exit",
                &[],
                vec![
                    json!([stopped]),
                    json!([{
                        "name": "settle",
                        "template": "settle",
                        "arguments": { "parameters": [param("volumes", "{{workflow.parameters.volumes}}")] },
                        "when": "'{{steps.stopped.outputs.parameters.stopped}}' == 'true'",
                        "continueOn": { "failed": true, "error": true },
                    }]),
                    json!([resume_all]),
                ],
                true,
            ),
            any_stopped,
            judge,
        ]);
        Ok(templates)
    }
}
