//! `fabchart flow backup` and `fabchart flow restore`: copy the data volumes
//! of peers, CouchDBs and orderers to object storage and back, with the nodes
//! stopped, without touching the chart's values.
//!
//! A node is stopped by patching its StatefulSet to 0 replicas (Argo
//! `resource` templates: no kubectl image), after an annotation
//! (`names::RESUME_REPLICAS_ANNOTATION`) records the replicas to come back
//! to; it is started again from that annotation, which is then removed. The
//! node's own resume step runs whether the copy worked or not, and the
//! workflow's exit handler starts every StatefulSet still carrying the
//! annotation when the workflow failed, was stopped or ran out of time.
//! `argo terminate` skips exit handlers: the next backup or restore run over
//! those nodes starts them (its plan reads the annotation).
//!
//! The copies run in the rclone image (busybox sh, tar, sha256sum), configured
//! by environment only (`RCLONE_CONFIG_BACKUP_*`, credentials from a Secret).
//! Layout of a backup: `workflow-templates/scripts/backup-lib.sh`.
//!
//! Order, for a backup whose archives restore together: peers first (orgs in
//! parallel, the peers of an org one at a time unless `flow.backup.parallel`),
//! then the orderers (all local ones stopped together unless
//! `flow.orderer.backup.rolling`), so the orderers' copies are never behind a
//! peer's and the Raft members' copies agree. A restore replaces every
//! selected volume at once: checks first (manifest, every archive's sha256,
//! what each volume holds), then stop, stage every archive on its volume,
//! swap them all in, start. `settle` (after the stop, after the session, in
//! the exit handler) finishes a run that staged every volume and drops the
//! staging of one that did not, so no set of volumes is left half restored
//! (`settle_decision` in backup-lib.sh).
//!
//! Size: a handful of templates fed by `withItems`/`withParam`; per node only
//! its StatefulSets, claims and archive paths.

mod selection;
mod statefulset;
mod target;

use serde_json::{json, Map, Value};

use super::options::{BackupFlowKeys, BackupOptions, RestoreOptions};
use super::{env, inputs, param, script_text, script_with_lib, Builder, Parts};
use selection::{together, Selection, Unit, Volume};

/// Library of the copy steps' scripts (POSIX sh: the rclone image has no bash).
const LIB: &str = "backup-lib";
/// Inputs of a step on one volume (copy, check, restore).
const VOLUME_INPUTS: &[&str] = &["statefulset", "claim", "volume", "kind", "archive"];
/// Where a copy step mounts the node's data volume.
const DATA_DIR: &str = "/data";
/// Held by every backup and restore workflow of a namespace.
const MUTEX: &str = "hlf-kube-backup-restore";
/// Steps that start nodes again run at most this many at once.
const RESUME_PARALLELISM: u64 = 20;

/// Whether a copy step mounts the node's volume claim (`inputs.claim`).
#[derive(Clone, Copy, PartialEq)]
enum Claim {
    None,
    ReadOnly,
    ReadWrite,
}

fn step(name: &str, template: &str, arguments: Vec<Value>) -> Value {
    let mut s = json!({ "name": name, "template": template });
    if !arguments.is_empty() {
        s["arguments"] = json!({ "parameters": arguments });
    }
    s
}

impl<O: BackupFlowKeys> Builder<'_, O> {
    /// A script step in the rclone image.
    fn copy_step(
        &self,
        name: &str,
        script: &str,
        input_names: &[&str],
        mut env_vars: Vec<Value>,
        claim: Claim,
        retry: bool,
    ) -> anyhow::Result<Value> {
        env_vars.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
        let mut t = json!({ "name": name });
        if !input_names.is_empty() {
            t["inputs"] = inputs(input_names);
        }
        if retry {
            // rclone retries the network itself; this is for lost pods.
            t["retryStrategy"] = json!({
                "limit": self.options.retry_count(),
                "retryPolicy": "OnError",
                "backoff": { "duration": "10s", "factor": 2, "maxDuration": "10m" },
            });
        }
        let source = if script == "flow-failed" {
            script_text(script)?.to_string()
        } else {
            script_with_lib(script, LIB)?
        };
        let mut container = json!({
            "image": self.options.chart().rehost(&self.options.backup().image),
            "command": ["sh"],
            "source": source,
            "env": env_vars,
        });
        if claim != Claim::None {
            let read_only = claim == Claim::ReadOnly;
            t["volumes"] = json!([{
                "name": "data",
                "persistentVolumeClaim": {
                    "claimName": "{{inputs.parameters.claim}}",
                    "readOnly": read_only,
                },
            }]);
            container["volumeMounts"] =
                json!([{ "name": "data", "mountPath": DATA_DIR, "readOnly": read_only }]);
        }
        t["script"] = container;
        // rclone keeps its configuration (none: it is all in the env) and
        // cache below XDG_CONFIG_HOME and HOME, both /tmp on a read-only root.
        t["script"]["env"]
            .as_array_mut()
            .expect("a step's env is a list")
            .push(env("XDG_CONFIG_HOME", crate::model::pod::TMP));
        self.restrict(&mut t);
        Ok(t)
    }

    /// Env of every step that talks to the target.
    fn remote_env(&self, key: &str, root: &str) -> Vec<Value> {
        let mut e = self.target_env();
        e.push(env("REMOTE_ROOT", root));
        e.push(env("BACKUP_KEY", key));
        e
    }

    /// A step running `template` on each volume of `{{inputs.parameters.volumes}}`
    /// (with an archive unless `all`).
    fn each_volume(name: &str, template: &str, all: bool) -> Value {
        let mut s = json!({
            "name": name,
            "template": template,
            "arguments": { "parameters": [
                param("statefulset", "{{item.statefulset}}"),
                param("claim", "{{item.claim}}"),
                param("volume", "{{item.volume}}"),
                param("kind", "{{item.kind}}"),
                param("archive", "{{item.archive}}"),
            ]},
            "withParam": "{{inputs.parameters.volumes}}",
        });
        if all {
            // `stop` takes no archive.
            s["arguments"]["parameters"].as_array_mut().unwrap().pop();
        } else {
            s["when"] = json!("'{{item.archive}}' != ''");
        }
        s
    }

    /// Stop a unit's StatefulSets and run `session` (steps after the stop)
    /// on them; with `settle`, settle what a restore left on their volumes;
    /// start them again whatever happened, then fail if anything did.
    fn unit_templates(&self, flow: &str, session: Vec<Value>, settle: bool) -> Vec<Value> {
        let mut steps = vec![json!([{
            "name": "session",
            "template": "session",
            "arguments": { "parameters": [param("volumes", "{{inputs.parameters.volumes}}")] },
            "continueOn": { "failed": true, "error": true },
        }])];
        let mut failed_when = "'{{steps.session.status}}' != 'Succeeded'".to_string();
        if settle {
            // A session that stopped between staging and swapping left some
            // volumes restored and others not: finish or undo it before the
            // nodes start.
            steps.push(json!([{
                "name": "settle",
                "template": "settle",
                "arguments": { "parameters": [param("volumes", "{{inputs.parameters.volumes}}")] },
                "continueOn": { "failed": true, "error": true },
            }]));
            failed_when.push_str(" || '{{steps.settle.status}}' != 'Succeeded'");
        }
        steps.push(json!([step(
            "resume",
            "resume-all",
            vec![
                param("statefulsets", "{{inputs.parameters.volumes}}"),
                param("wait", "true"),
            ]
        )]));
        steps.push(json!([{
            "name": "failed",
            "template": "failed",
            "arguments": { "parameters": [param(
                "message",
                format!("the {flow} of {{{{inputs.parameters.unit}}}} failed (see its failed step); its nodes were started again"),
            )]},
            "when": failed_when,
        }]));
        let mut all = vec![json!([Self::each_volume("stop", "stop", true)])];
        all.extend(session);
        vec![
            Self::steps_template("unit", &["unit", "volumes"], steps, true),
            Self::steps_template("session", &["volumes"], all, true),
        ]
    }

    /// Env of the copy steps: the target, and the volume.
    fn volume_env(&self, key: &str, root: &str) -> Vec<Value> {
        let mut e = self.remote_env(key, root);
        e.extend([
            env("DATA_DIR", DATA_DIR),
            env("ARCHIVE", "{{inputs.parameters.archive}}"),
            env("KIND", "{{inputs.parameters.kind}}"),
            env("STATEFULSET", "{{inputs.parameters.statefulset}}"),
        ]);
        e
    }

    fn statefulsets_parameter(selection: &Selection) -> anyhow::Result<Value> {
        let list: Vec<Value> = selection
            .volumes()
            .map(|v| json!({ "statefulset": v.statefulset }))
            .collect();
        Ok(json!({ "name": "statefulsets", "value": serde_json::to_string(&list)? }))
    }
}

impl Builder<'_, BackupOptions> {
    pub(super) fn backup_parts(&self) -> anyhow::Result<Parts> {
        let root = self.remote_root()?;
        let key = self.backup_key(false)?;
        let options = &self.options.backup;
        let selection = self.selection()?;
        let plan: String = selection
            .volumes()
            .filter_map(|v| {
                v.archive
                    .as_ref()
                    .map(|a| format!("{a} <- {}\n", v.data.claim))
            })
            .collect();
        let archives = selection.archives().join("\n");
        let statefulsets = Self::statefulsets_parameter(&selection)?;
        let dry_run = options.dry_run;

        let mut preflight_env = self.remote_env(&key, &root);
        preflight_env.extend([
            env("PLAN", plan.trim_end()),
            env("DRY_RUN", dry_run.to_string()),
        ]);
        let mut main = vec![json!([step("preflight", "preflight", vec![])])];
        let mut templates = Vec::new();
        if dry_run {
            main.push(json!([self.check_each(&selection)]));
        } else {
            let peer_groups: Vec<Value> = selection
                .peer_orgs
                .iter()
                .map(|units| json!({ "units": units.iter().map(Unit::item).collect::<Vec<_>>() }))
                .collect();
            if !peer_groups.is_empty() {
                main.push(json!([{
                    "name": "peers",
                    "template": "group",
                    "arguments": { "parameters": [param("units", "{{item.units}}")] },
                    "withItems": peer_groups,
                }]));
            }
            let orderers: Vec<Unit> = if self.options.flow.orderer.backup.rolling {
                selection.orderers
            } else {
                together("orderers", selection.orderers)
            };
            if !orderers.is_empty() {
                main.push(json!([step(
                    "orderers",
                    "group",
                    vec![param(
                        "units",
                        serde_json::to_string(
                            &orderers.iter().map(Unit::item).collect::<Vec<_>>()
                        )?,
                    )]
                )]));
            }
            main.push(json!([step("manifest", "manifest", vec![])]));
            templates.push(Self::steps_template(
                "group",
                &["units"],
                vec![json!([{
                    "name": "unit",
                    "template": "unit",
                    "arguments": { "parameters": [
                        param("unit", "{{item.unit}}"),
                        param("volumes", "{{item.volumes}}"),
                    ]},
                    "withParam": "{{inputs.parameters.units}}",
                }])],
                false,
            ));
            templates.extend(self.unit_templates(
                "backup",
                vec![json!([Self::each_volume("copy", "backup-copy", false)])],
                false,
            ));
            let mut copy_env = self.volume_env(&key, &root);
            copy_env.retain(|e| e["name"] != "KIND" && e["name"] != "STATEFULSET");
            templates.push(self.copy_step(
                "backup-copy",
                "backup-copy",
                VOLUME_INPUTS,
                copy_env,
                Claim::ReadOnly,
                true,
            )?);
            let mut manifest_env = self.remote_env(&key, &root);
            manifest_env.push(env("ARCHIVES", archives));
            templates.push(self.copy_step(
                "manifest",
                "backup-manifest",
                &[],
                manifest_env,
                Claim::None,
                true,
            )?);
        }
        templates.push(self.preflight("backup-preflight", preflight_env)?);
        templates.extend(self.statefulset_templates(dry_run, false)?);
        self.parts(main, templates, vec![statefulsets])
    }
}

impl Builder<'_, RestoreOptions> {
    pub(super) fn restore_parts(&self) -> anyhow::Result<Parts> {
        let key = self.backup_key(true)?;
        let root = self.remote_root()?;
        let options = &self.options.backup;
        let selection = self.selection()?;
        let dry_run = options.dry_run;
        let mut preflight_env = self.remote_env(&key, &root);
        preflight_env.extend([
            env("ARCHIVES", selection.archives().join("\n")),
            env("DRY_RUN", dry_run.to_string()),
        ]);
        let volumes: Vec<Value> = selection.volumes().map(Volume::item).collect();
        let verify = json!({
            "name": "verify",
            "template": "verify",
            "arguments": { "parameters": [param("archive", "{{item}}")] },
            "withItems": selection.archives(),
        });
        let mut main = vec![json!([step("preflight", "preflight", vec![])])];
        let mut templates = Vec::new();
        let mut parameters = vec![Self::statefulsets_parameter(&selection)?];
        if dry_run {
            main.push(json!([verify, self.check_each(&selection)]));
        } else {
            main.push(json!([verify]));
            main.push(json!([step(
                "restore",
                "unit",
                vec![
                    param("unit", "the selected nodes"),
                    param("volumes", "{{workflow.parameters.volumes}}"),
                ]
            )]));
            templates.extend(self.unit_templates(
                "restore",
                vec![
                    json!([{
                        "name": "settle",
                        "template": "settle",
                        "arguments": { "parameters": [param("volumes", "{{inputs.parameters.volumes}}")] },
                    }]),
                    json!([Self::each_volume("check-volume", "volume-check", false)]),
                    json!([Self::each_volume("stage", "restore-stage", false)]),
                    json!([Self::each_volume("swap", "restore-swap", false)]),
                ],
                true,
            ));
            templates.extend(self.restore_templates(&key, &root, &selection)?);
            parameters
                .push(json!({ "name": "volumes", "value": serde_json::to_string(&volumes)? }));
        }
        let mut verify_env = self.remote_env(&key, &root);
        verify_env.push(env("ARCHIVE", "{{inputs.parameters.archive}}"));
        templates.push(self.copy_step(
            "verify",
            "restore-verify",
            &["archive"],
            verify_env,
            Claim::None,
            true,
        )?);
        templates.push(self.preflight("restore-preflight", preflight_env)?);
        templates.extend(self.statefulset_templates(dry_run, true)?);
        self.parts(main, templates, parameters)
    }

    /// The restore's steps on volumes: check, stage, swap, and the settling
    /// of a restore that stopped between staging and swapping (`settle`:
    /// every volume's state, then each volume's decision).
    fn restore_templates(
        &self,
        key: &str,
        root: &str,
        selection: &Selection,
    ) -> anyhow::Result<Vec<Value>> {
        let force = env("FORCE", self.options.restore.force.to_string());
        let run_id = env("RUN_ID", "{{workflow.uid}}");
        let run_claims: Vec<&str> = selection
            .volumes()
            .filter(|v| v.archive.is_some())
            .map(|v| v.data.claim.as_str())
            .collect();
        let mut stage_env = self.volume_env(key, root);
        stage_env.extend([
            force.clone(),
            run_id.clone(),
            env("RUN_CLAIMS", run_claims.join(",")),
        ]);
        let volume_env = |names: &[&str], extra: &[&Value]| -> Vec<Value> {
            stage_env
                .iter()
                .filter(|e| names.contains(&e["name"].as_str().unwrap_or_default()))
                .cloned()
                .chain(extra.iter().map(|e| (*e).clone()))
                .collect()
        };
        let claim = env("CLAIM", "{{inputs.parameters.claim}}");
        let mut inspect = self.copy_step(
            "restore-inspect",
            "restore-inspect",
            VOLUME_INPUTS,
            volume_env(&["DATA_DIR", "STATEFULSET"], &[&claim]),
            Claim::ReadOnly,
            false,
        )?;
        inspect["outputs"] = json!({ "parameters": [
            { "name": "state", "valueFrom": { "path": "/tmp/state" } },
        ]});
        let mut settle_inputs = VOLUME_INPUTS.to_vec();
        settle_inputs.push("states");
        let mut decide_step = Self::each_volume("decide", "restore-settle", false);
        decide_step["arguments"]["parameters"]
            .as_array_mut()
            .unwrap()
            .push(param(
                "states",
                "{{steps.inspect.outputs.parameters.state}}",
            ));
        Ok(vec![
            self.copy_step(
                "volume-check",
                "restore-check",
                VOLUME_INPUTS,
                volume_env(
                    &["DATA_DIR", "KIND", "STATEFULSET", "BACKUP_KEY"],
                    &[&force, &run_id],
                ),
                Claim::ReadOnly,
                false,
            )?,
            // No retries: staging starts over from an empty folder anyway,
            // and a failure is a fault to read, not a lost pod.
            self.copy_step(
                "restore-stage",
                "restore-stage",
                VOLUME_INPUTS,
                stage_env.clone(),
                Claim::ReadWrite,
                false,
            )?,
            // Retried: a swap finishes what an earlier attempt began.
            self.copy_step(
                "restore-swap",
                "restore-swap",
                VOLUME_INPUTS,
                volume_env(&["DATA_DIR", "STATEFULSET"], &[]),
                Claim::ReadWrite,
                true,
            )?,
            Self::steps_template(
                "settle",
                &["volumes"],
                vec![
                    json!([Self::each_volume("inspect", "restore-inspect", false)]),
                    json!([decide_step]),
                ],
                true,
            ),
            inspect,
            self.copy_step(
                "restore-settle",
                "restore-settle",
                &settle_inputs,
                volume_env(
                    &["DATA_DIR", "STATEFULSET"],
                    &[
                        &claim,
                        &run_id,
                        &env("STATES", "{{inputs.parameters.states}}"),
                    ],
                ),
                Claim::ReadWrite,
                true,
            )?,
        ])
    }
}

impl<O: BackupFlowKeys> Builder<'_, O> {
    /// The `check` of every selected StatefulSet (dry runs).
    fn check_each(&self, selection: &Selection) -> Value {
        json!({
            "name": "check",
            "template": "check",
            "arguments": { "parameters": [
                param("statefulset", "{{item.statefulset}}"),
                param("claim", "{{item.claim}}"),
                param("volume", "{{item.volume}}"),
                param("kind", "{{item.kind}}"),
            ]},
            "withItems": selection.volumes().map(|v| json!({
                "statefulset": v.statefulset,
                "claim": v.data.claim,
                "volume": v.data.name,
                "kind": v.kind,
            })).collect::<Vec<_>>(),
        })
    }

    fn preflight(&self, script: &str, env_vars: Vec<Value>) -> anyhow::Result<Value> {
        // No retries: it changes nothing, and a refusal stays a refusal.
        let mut t = self.copy_step("preflight", script, &[], env_vars, Claim::None, false)?;
        // A pod whose Secret or key is missing waits forever in
        // CreateContainerConfigError: fail instead, before anything stopped.
        t["activeDeadlineSeconds"] = json!(300);
        Ok(t)
    }

    /// `parameters`: the workflow's (`statefulsets`, for restores `volumes`:
    /// what the exit handler starts again and settles); none in dry runs.
    fn parts(
        &self,
        main: Vec<Value>,
        mut templates: Vec<Value>,
        mut parameters: Vec<Value>,
    ) -> anyhow::Result<Parts> {
        templates.insert(0, Self::steps_template("main", &[], main, true));
        let dry_run = self.options.backup().dry_run;
        if dry_run {
            parameters.clear();
        }
        Ok(Parts {
            templates,
            orgs: Map::new(),
            parameters,
            on_exit: (!dry_run).then(|| "exit".to_string()),
            active_deadline_seconds: Some(self.options.backup().deadline_seconds),
            // One backup or restore at a time per namespace: the exit handler
            // of one must not start the nodes another has stopped.
            mutex: (!dry_run).then_some(MUTEX),
            waits: false,
        })
    }
}
