//! `fabchart flow rollout`: replaces, one at a time, the node pods that a
//! `helm upgrade` left running on an outdated spec (the chart's
//! `orderer.updateStrategy` and `peer.updateStrategy` set to OnDelete): the
//! local orderer nodes first, then the peer nodes (the order of Fabric's
//! upgrade guide). A node's pod is deleted only when its StatefulSet has
//! replicas not yet at its newest revision, and it must be ready again,
//! at the new revision, before the next node is touched: an ordering service
//! keeps all but one of its nodes, and each org all but one of its peers,
//! through an image upgrade. A second run finds nothing to replace. Argo
//! `resource` steps only, no image.

use anyhow::bail;
use serde_json::json;

use super::options::RolloutOptions;
use super::{inputs, manifest, param, Builder, Parts};
use crate::model::OrgKind;

impl Builder<'_, RolloutOptions> {
    pub(super) fn rollout_parts(&self) -> anyhow::Result<Parts> {
        let mut statefulsets = Vec::new();
        for kind in [OrgKind::Orderer, OrgKind::Peer] {
            for org in self.network.local_orgs(kind) {
                statefulsets.extend(org.nodes.iter().map(|n| n.object.clone()));
            }
        }
        if statefulsets.is_empty() {
            bail!("this cluster runs no orderer or peer node: there is nothing to roll out");
        }
        let outdated = "'{{steps.read.outputs.parameters.outdated}}' == 'yes'";
        let statefulset = || param("statefulset", "{{inputs.parameters.statefulset}}");
        let templates = vec![
            Self::steps_template(
                "main",
                &[],
                vec![json!([{
                    "name": "node",
                    "template": "node",
                    "arguments": { "parameters": [param("statefulset", "{{item}}")] },
                    "withItems": statefulsets,
                }])],
                false,
            ),
            Self::steps_template(
                "node",
                &["statefulset"],
                vec![
                    json!([{
                        "name": "read",
                        "template": "read",
                        "arguments": { "parameters": [statefulset()] },
                    }]),
                    json!([{
                        "name": "replace",
                        "template": "replace",
                        "arguments": { "parameters": [
                            param("pod", "{{inputs.parameters.statefulset}}-0"),
                        ]},
                        "when": outdated,
                    }]),
                    json!([{
                        "name": "ready",
                        "template": "ready",
                        "arguments": { "parameters": [
                            statefulset(),
                            param("replicas", "{{steps.read.outputs.parameters.replicas}}"),
                        ]},
                        "when": outdated,
                    }]),
                ],
                true,
            ),
            // Outdated: replicas (a stopped node has none) not all at the
            // StatefulSet's newest revision (updatedReplicas counts those).
            json!({
                "name": "read",
                "inputs": inputs(&["statefulset"]),
                "resource": {
                    "action": "get",
                    "manifest": manifest("StatefulSet", "apps/v1", "{{inputs.parameters.statefulset}}", ""),
                },
                "outputs": { "parameters": [
                    { "name": "replicas", "valueFrom": { "jqFilter": ".spec.replicas // 1" } },
                    { "name": "outdated", "valueFrom": { "jqFilter":
                        "if (.spec.replicas // 1) > 0 and (.status.updatedReplicas // 0) < (.spec.replicas // 1) then \"yes\" else \"no\" end" } },
                ]},
            }),
            json!({
                "name": "replace",
                "inputs": inputs(&["pod"]),
                "resource": {
                    "action": "delete",
                    "manifest": manifest("Pod", "v1", "{{inputs.parameters.pod}}", ""),
                },
            }),
            json!({
                "name": "ready",
                "inputs": inputs(&["statefulset", "replicas"]),
                "activeDeadlineSeconds": self.options.flow.rollout.wait_seconds,
                "resource": {
                    "action": "get",
                    "successCondition": "status.updatedReplicas == {{inputs.parameters.replicas}},status.readyReplicas == {{inputs.parameters.replicas}}",
                    "manifest": manifest("StatefulSet", "apps/v1", "{{inputs.parameters.statefulset}}", ""),
                },
            }),
        ];
        Ok(Parts {
            templates,
            ..Parts::default()
        })
    }
}
