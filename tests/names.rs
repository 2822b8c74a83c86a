//! One owner for every name: the ports nodes listen on, the paths of mounts
//! and files in the pods, and the network-wide objects' names are made in
//! the model (src/model/names.rs, pod.rs, layout.rs) and reach the chart
//! through topology.json and the steps through their environment. A chart
//! template or step script that writes one of them itself fails here.

mod support;

use std::path::{Path, PathBuf};

use fabchart::model::{layout, names, pod};

/// Every value the model owns that a template or script could write out.
fn owned() -> Vec<String> {
    let mut out: Vec<String> = [
        names::PEER_PORT,
        names::PEER_CHAINCODE_PORT,
        names::PEER_OPERATIONS_PORT,
        names::ORDERER_PORT,
        names::ORDERER_ADMIN_PORT,
        names::ORDERER_CLUSTER_PORT,
        names::ORDERER_OPERATIONS_PORT,
        names::COUCHDB_PORT,
        names::CA_PORT,
        names::CHAINCODE_SERVER_PORT,
    ]
    .iter()
    .map(u16::to_string)
    .collect();
    out.extend(
        [
            pod::NODE_CRYPTO,
            pod::LEDGER,
            pod::CA_CRYPTO,
            pod::CA_HOME,
            pod::COUCHDB_DATA,
            pod::CONFIGTX_MOUNT,
            pod::CONFIGTX_TREE,
            pod::ADMIN_MOUNT,
            pod::ADMIN_TREE,
            pod::ORDERER_ADMINS_MOUNT,
            pod::PACKAGE_MOUNT,
            pod::OUTPUTS,
            names::CONFIGTX_CONFIGMAP,
            names::CHAINCODE_CONFIGMAP,
            names::ORDERER_LB_SERVICE,
            names::FLOW_SERVICE_ACCOUNT,
            names::COUCHDB_CREDENTIALS,
            names::CA_ADMIN_SECRET,
            layout::TLS_CA,
        ]
        .map(str::to_string),
    );
    out.push(layout::tls_cert("server"));
    out.push(layout::tls_key("server"));
    out.push(layout::tls_cert("client"));
    out.push(layout::tls_key("client"));
    out
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    out.sort();
    out
}

/// The text of a template or script without its comments: Helm's
/// `{{/* */}}` blocks and lines that are `#` comments (YAML and shell).
fn without_comments(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        match rest[start..].find("*/") {
            Some(end) => rest = &rest[start + end + 2..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether `value` stands in `text` on its own: not as part of a longer
/// number, name or path.
fn stands_alone(text: &str, value: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.';
    text.match_indices(value).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + value.len()..].chars().next();
        !before.is_some_and(word)
            && !after.is_some_and(|c| word(c) && !(c == '.' && value.contains('/')))
    })
}

#[test]
fn templates_and_scripts_print_the_models_names() {
    let owned = owned();
    let mut found = Vec::new();
    for dir in ["chart-templates", "workflow-templates"] {
        for path in files(&support::root().join(dir)) {
            let text = without_comments(&std::fs::read_to_string(&path).unwrap());
            for value in &owned {
                if stands_alone(&text, value) {
                    found.push(format!(
                        "{}: {value}",
                        path.strip_prefix(support::root()).unwrap().display()
                    ));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "values the model owns, written out instead of printed from topology.json \
         (templates) or the step's environment (scripts):\n  {}",
        found.join("\n  ")
    );
}

#[test]
fn the_check_finds_what_it_looks_for() {
    assert!(stands_alone("containerPort: 7052\n", "7052"));
    assert!(!stands_alone("containerPort: 17052\n", "7052"));
    assert!(stands_alone("mountPath: /crypto/admin\n", "/crypto/admin"));
    assert!(!stands_alone("x: /crypto/adminx\n", "/crypto/admin"));
    assert!(stands_alone("name: hlf-flow\n", "hlf-flow"));
    assert!(!stands_alone("name: hlf-flow-x\n", "hlf-flow"));
    assert_eq!(
        without_comments("a\n{{- /* 7052 */}}\n  # 7052\nb 7052"),
        "a\n{{- }}\nb 7052"
    );
}
