//! What each flow may do through the Kubernetes API, for the Role the chart
//! gives its ServiceAccount (`names::flow_account`): the Argo executor's
//! own minimum (its wait container reports each step's outputs as
//! WorkflowTaskResults, Argo 3.4 and later), and for backup and restore the
//! resource steps that stop and start nodes. No flow reads a Secret or a
//! ConfigMap through the API (they reach the steps as volumes and env,
//! through the kubelet), and none execs into a pod.

use serde::Serialize;

use super::Flow;

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    pub api_groups: &'static [&'static str],
    pub resources: &'static [&'static str],
    pub verbs: &'static [&'static str],
}

const EXECUTOR: Rule = Rule {
    api_groups: &["argoproj.io"],
    resources: &["workflowtaskresults"],
    verbs: &["create", "patch"],
};

/// The backup and restore flows' `resource` steps: read a StatefulSet and
/// patch its replicas (then poll it with get), read a node's claim.
const STATEFULSETS: Rule = Rule {
    api_groups: &["apps"],
    resources: &["statefulsets"],
    verbs: &["get", "patch"],
};
const CLAIMS: Rule = Rule {
    api_groups: &[""],
    resources: &["persistentvolumeclaims"],
    verbs: &["get"],
};

/// The rollout's `resource` steps: delete a node's pod (its StatefulSet
/// starts it again from the new spec).
const PODS: Rule = Rule {
    api_groups: &[""],
    resources: &["pods"],
    verbs: &["delete"],
};
const STATEFULSETS_READ: Rule = Rule {
    api_groups: &["apps"],
    resources: &["statefulsets"],
    verbs: &["get"],
};

/// The rules of `flow`'s Role.
pub fn rules(flow: Flow) -> Vec<Rule> {
    match flow {
        Flow::Channel
        | Flow::Chaincode
        | Flow::PeerOrg
        | Flow::ChannelUpdate
        | Flow::UpgradeCheck => vec![EXECUTOR],
        Flow::Backup | Flow::Restore => vec![EXECUTOR, STATEFULSETS, CLAIMS],
        Flow::Rollout => vec![EXECUTOR, STATEFULSETS_READ, PODS],
    }
}

/// Whether `rules` let a resource step do `action` on `kind` objects.
pub fn allows(rules: &[Rule], api_group: &str, resource: &str, verb: &str) -> bool {
    rules.iter().any(|r| {
        r.api_groups.contains(&api_group)
            && r.resources.contains(&resource)
            && r.verbs.contains(&verb)
    })
}
