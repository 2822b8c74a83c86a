//! configtx.yaml values that configtxgen or the orderer would refuse, checked
//! where they are written: every Policies map, Organization and Orderer
//! section of the file, used by a channel or not. A section merged into
//! several profiles is located at its definition, so its faults are
//! reported once.
//!
//! The rules, from Fabric's source:
//! - policies: `Type` is `Signature` or `ImplicitMeta`
//!   (internal/configtxgen/encoder/encoder.go), rules as [`crate::policy`]
//!   parses them, and every Policies map has Admins, Readers and Writers
//!   (encoder.go `AddPolicies`);
//! - names of policies and orgs (an org's group key is its MSP ID in the
//!   emitted configtx.yaml) are `[A-Za-z0-9.-]`, at most 249 characters, not
//!   `.` or `..` (common/configtx/validator.go);
//! - BatchTimeout is a Go duration above zero, BatchSize's counts and sizes
//!   are 32-bit and above zero, PreferredMaxBytes at most AbsoluteMaxBytes
//!   (common/channelconfig/orderer.go; configtxgen takes 0 for "unset" and
//!   writes its default, so 0 is refused rather than silently replaced);
//! - EtcdRaft options: TickInterval a Go duration above zero, ticks and
//!   MaxInflightBlocks above zero, ElectionTick above HeartbeatTick
//!   (genesisconfig/config.go, orderer/consensus/etcdraft/util.go), consenter
//!   ports above zero.

use super::faults::{known_list, Faults, File};
use crate::load::configtx::{self as cx, ByteSize};
use crate::policy::{config_name_fault, ImplicitMetaPolicy, PolicyType, SignaturePolicy};
use crate::units;

/// configtxgen's defaults for what a section leaves out
/// (internal/configtxgen/genesisconfig/config.go `genesisDefaults`).
const DEFAULT_ABSOLUTE_MAX_BYTES: u32 = 10 * 1024 * 1024;
const DEFAULT_PREFERRED_MAX_BYTES: u32 = 2 * 1024 * 1024;
const DEFAULT_ELECTION_TICK: u32 = 10;
const DEFAULT_HEARTBEAT_TICK: u32 = 1;

/// Checks the whole configtx.yaml; `msp_ids` are the MSP IDs of every org
/// the network declares (in crypto-config.yaml or configtx.yaml).
pub(super) fn check(faults: &mut Faults, msp_ids: &[String]) {
    let file = &faults.project.configtx.value;
    for (i, org) in file.organizations.iter().flatten().enumerate() {
        check_org(faults, org, &format!("/Organizations/{i}"), msp_ids);
    }
    if let Some(application) = &file.application {
        check_application(faults, application, "/Application", msp_ids);
    }
    if let Some(orderer) = &file.orderer {
        check_orderer(faults, orderer, "/Orderer", msp_ids);
    }
    if let Some(channel) = &file.channel {
        check_policies(faults, channel.policies.as_ref(), "/Channel", msp_ids);
    }
    for (name, profile) in &file.profiles {
        let pointer = format!("/Profiles/{}", name.replace('/', "~1"));
        check_policies(faults, profile.policies.as_ref(), &pointer, msp_ids);
        if let Some(application) = &profile.application {
            check_application(
                faults,
                application,
                &format!("{pointer}/Application"),
                msp_ids,
            );
        }
        if let Some(orderer) = &profile.orderer {
            check_orderer(faults, orderer, &format!("{pointer}/Orderer"), msp_ids);
        }
        for (cname, consortium) in profile.consortiums.iter().flatten() {
            for (i, org) in consortium.organizations.iter().flatten().enumerate() {
                let at = format!("{pointer}/Consortiums/{cname}/Organizations/{i}");
                check_org(faults, org, &at, msp_ids);
            }
        }
    }
}

fn check_application(
    faults: &mut Faults,
    app: &cx::Application,
    pointer: &str,
    msp_ids: &[String],
) {
    check_policies(faults, app.policies.as_ref(), pointer, msp_ids);
    for (i, org) in app.organizations.iter().flatten().enumerate() {
        check_org(
            faults,
            org,
            &format!("{pointer}/Organizations/{i}"),
            msp_ids,
        );
    }
}

fn check_org(faults: &mut Faults, org: &cx::Organization, pointer: &str, msp_ids: &[String]) {
    let (field, id) = match &org.id {
        Some(id) => ("ID", id),
        None => ("Name", &org.name),
    };
    if let Some(fault) = config_name_fault(id) {
        faults.configtx(
            &format!("{pointer}/{field}"),
            format!("MSP ID `{id}` {fault}"),
            "an org's MSP ID names its group in the channel config and its principals in policies: use ASCII letters, digits, `.` and `-`".into(),
        );
    }
    check_policies(faults, org.policies.as_ref(), pointer, msp_ids);
}

/// The `Policies` map of the group at `pointer`, if it has one.
fn check_policies(
    faults: &mut Faults,
    policies: Option<&cx::Policies>,
    pointer: &str,
    msp_ids: &[String],
) {
    let Some(policies) = policies.filter(|p| !p.is_empty()) else {
        // fabchart writes the default policies for a group without any.
        return;
    };
    let base = format!("{pointer}/Policies");
    let missing: Vec<&str> = ["Admins", "Readers", "Writers"]
        .into_iter()
        .filter(|name| !policies.contains_key(*name))
        .collect();
    if !missing.is_empty() {
        faults.key(
            File::Configtx,
            &base,
            format!("these Policies lack {}", missing.join(" and ")),
            "configtxgen requires Admins, Readers and Writers in every Policies map; add the missing ones (or remove the map for fabchart's defaults)".into(),
        );
    }
    for (name, policy) in policies {
        let at = format!("{base}/{}", name.replace('/', "~1"));
        if let Some(fault) = config_name_fault(name) {
            faults.key(
                File::Configtx,
                &at,
                format!("policy name `{name}` {fault}"),
                "Fabric refuses a channel config with such a key; use ASCII letters, digits, `.` and `-`".into(),
            );
        }
        check_policy(faults, policy, &at, msp_ids);
    }
}

fn check_policy(faults: &mut Faults, policy: &cx::Policy, pointer: &str, msp_ids: &[String]) {
    let rule_at = format!("{pointer}/Rule");
    match PolicyType::from_name(&policy.kind) {
        None => faults.configtx(
            &format!("{pointer}/Type"),
            format!("policy type `{}` is unknown", policy.kind),
            "use Signature (a rule such as OR('Org1MSP.admin')) or ImplicitMeta (a rule such as MAJORITY Admins)".into(),
        ),
        Some(PolicyType::ImplicitMeta) => {
            if let Err(e) = ImplicitMetaPolicy::parse(&policy.rule) {
                faults.inside(File::Configtx, &rule_at, e.offset, e.message, e.help);
            }
        }
        Some(PolicyType::Signature) => match SignaturePolicy::parse(&policy.rule) {
            Err(e) => faults.inside(File::Configtx, &rule_at, e.offset, e.message, e.help),
            Ok(parsed) => {
                for principal in parsed.principals() {
                    if !msp_ids.contains(&principal.msp_id) {
                        faults.inside(
                            File::Configtx,
                            &rule_at,
                            principal.offset,
                            unknown_msp_message(&principal.msp_id),
                            unknown_msp_help(msp_ids),
                        );
                    }
                }
            }
        },
    }
}

pub(super) fn unknown_msp_message(msp_id: &str) -> String {
    format!("the policy names MSP ID `{msp_id}`, which no org of the network has")
}

pub(super) fn unknown_msp_help(msp_ids: &[String]) -> String {
    format!(
        "known MSP IDs: {}; an org of another cluster is declared under ExternalPeerOrgs in crypto-config.yaml or in configtx.yaml's Organizations",
        known_list(msp_ids.iter().map(String::as_str))
    )
}

fn check_orderer(faults: &mut Faults, orderer: &cx::Orderer, pointer: &str, msp_ids: &[String]) {
    if let Some(kind) = &orderer.orderer_type {
        if !["etcdraft", "BFT", "solo", "kafka"].contains(&kind.as_str()) {
            faults.configtx(
                &format!("{pointer}/OrdererType"),
                format!("OrdererType `{kind}` is unknown"),
                "use etcdraft (Raft), or BFT on Fabric 3 (written so, in capitals); solo and kafka are turned into etcdraft on Fabric 2.5".into(),
            );
        }
    }
    if let Some(options) = &orderer.smart_bft {
        check_smart_bft_options(faults, options, &format!("{pointer}/SmartBFT"));
    }
    let mut ids = std::collections::BTreeSet::new();
    for (i, consenter) in orderer.consenter_mapping.iter().flatten().enumerate() {
        let at = format!("{pointer}/ConsenterMapping/{i}");
        if consenter.id == 0 {
            faults.configtx(
                &format!("{at}/ID"),
                "consenter ID 0 is no ID".into(),
                "number the consenters from 1; an ID never changes while the node is a consenter"
                    .into(),
            );
        } else if !ids.insert(consenter.id) {
            faults.configtx(
                &format!("{at}/ID"),
                format!("consenter ID {} is given twice", consenter.id),
                "give every consenter of the channel its own ID".into(),
            );
        }
        if consenter.port == 0 {
            faults.configtx(
                &format!("{at}/Port"),
                "consenter port 0 is no port".into(),
                "give the port the consenter's cluster listener serves".into(),
            );
        }
    }
    if let Some(timeout) = &orderer.batch_timeout {
        check_duration(
            faults,
            timeout,
            &format!("{pointer}/BatchTimeout"),
            "BatchTimeout",
            "2s",
        );
    }
    if let Some(size) = &orderer.batch_size {
        check_batch_size(faults, size, &format!("{pointer}/BatchSize"));
    }
    if let Some(raft) = &orderer.etcd_raft {
        let raft_pointer = format!("{pointer}/EtcdRaft");
        if let Some(options) = &raft.options {
            check_raft_options(faults, options, &format!("{raft_pointer}/Options"));
        }
        for (i, consenter) in raft.consenters.iter().flatten().enumerate() {
            if consenter.port == 0 {
                faults.configtx(
                    &format!("{raft_pointer}/Consenters/{i}/Port"),
                    "consenter port 0 is no port".into(),
                    "give the port the consenter's cluster listener serves".into(),
                );
            }
        }
    }
    check_policies(faults, orderer.policies.as_ref(), pointer, msp_ids);
    for (i, org) in orderer.organizations.iter().flatten().enumerate() {
        check_org(
            faults,
            org,
            &format!("{pointer}/Organizations/{i}"),
            msp_ids,
        );
    }
}

fn check_duration(faults: &mut Faults, text: &str, at: &str, name: &str, example: &str) {
    match units::parse_go_duration(text) {
        Ok(nanos) if nanos > 0 => {}
        Ok(_) => faults.configtx(
            at,
            format!("{name} `{text}` is not longer than zero"),
            format!("the orderer refuses it; write a positive duration such as {example}"),
        ),
        Err(e) => faults.inside(
            File::Configtx,
            at,
            e.offset,
            format!("{name} `{text}`: {}", e.message),
            e.help,
        ),
    }
}

/// A configtxgen size, refused at 0 (configtxgen would write its default
/// instead, and the orderer refuses 0); `None` if it was refused.
fn check_size(
    faults: &mut Faults,
    size: &ByteSize,
    at: &str,
    name: &str,
    default: &str,
) -> Option<u32> {
    let text = size.text();
    match units::parse_byte_size(&text) {
        Ok(0) => {
            faults.configtx(
                at,
                format!("{name} is 0"),
                format!("configtxgen takes 0 for \"not set\" and writes its default ({default}); write a size above 0, or leave {name} out"),
            );
            None
        }
        Ok(bytes) => Some(bytes),
        Err(e) => {
            // A number is always written as digits: point at its start.
            let offset = if matches!(size, ByteSize::Bytes(_)) {
                0
            } else {
                e.offset
            };
            faults.inside(
                File::Configtx,
                at,
                offset,
                format!("{name} `{text}`: {}", e.message),
                e.help,
            );
            None
        }
    }
}

fn check_batch_size(faults: &mut Faults, size: &cx::BatchSize, pointer: &str) {
    if let Some(count) = size.max_message_count {
        if count == 0 || count > u64::from(u32::MAX) {
            faults.configtx(
                &format!("{pointer}/MaxMessageCount"),
                format!("MaxMessageCount {count} is out of range"),
                "the orderer takes 1 to 4294967295 messages per block (configtxgen writes its default 500 for 0); e.g. 500".into(),
            );
        }
    }
    let absolute = match &size.absolute_max_bytes {
        Some(s) => check_size(
            faults,
            s,
            &format!("{pointer}/AbsoluteMaxBytes"),
            "AbsoluteMaxBytes",
            "10 MB",
        ),
        None => Some(DEFAULT_ABSOLUTE_MAX_BYTES),
    };
    let preferred = match &size.preferred_max_bytes {
        Some(s) => check_size(
            faults,
            s,
            &format!("{pointer}/PreferredMaxBytes"),
            "PreferredMaxBytes",
            "2 MB",
        ),
        None => Some(DEFAULT_PREFERRED_MAX_BYTES),
    };
    if let (Some(absolute), Some(preferred)) = (absolute, preferred) {
        if preferred > absolute {
            let (at, shown) = match &size.preferred_max_bytes {
                Some(p) => (format!("{pointer}/PreferredMaxBytes"), p.text()),
                None => (
                    pointer.to_string(),
                    "2 MB (configtxgen's default)".to_string(),
                ),
            };
            let absolute_shown = size
                .absolute_max_bytes
                .as_ref()
                .map_or("10 MB (configtxgen's default)".to_string(), ByteSize::text);
            faults.configtx(
                &at,
                format!("PreferredMaxBytes {shown} is more than AbsoluteMaxBytes {absolute_shown}"),
                "the orderer refuses a preferred block size above the absolute one; lower PreferredMaxBytes or raise AbsoluteMaxBytes".into(),
            );
        }
    }
}

fn check_smart_bft_options(faults: &mut Faults, options: &cx::SmartBftOptions, pointer: &str) {
    for (name, value, example) in [
        (
            "RequestBatchMaxInterval",
            &options.request_batch_max_interval,
            "200ms",
        ),
        (
            "RequestForwardTimeout",
            &options.request_forward_timeout,
            "5s",
        ),
        (
            "RequestComplainTimeout",
            &options.request_complain_timeout,
            "20s",
        ),
        (
            "RequestAutoRemoveTimeout",
            &options.request_auto_remove_timeout,
            "3m0s",
        ),
        (
            "ViewChangeResendInterval",
            &options.view_change_resend_interval,
            "5s",
        ),
        ("ViewChangeTimeout", &options.view_change_timeout, "20s"),
        (
            "LeaderHeartbeatTimeout",
            &options.leader_heartbeat_timeout,
            "1m0s",
        ),
        ("CollectTimeout", &options.collect_timeout, "1s"),
    ] {
        if let Some(value) = value {
            check_duration(faults, value, &format!("{pointer}/{name}"), name, example);
        }
    }
    for (name, value) in [
        ("RequestBatchMaxCount", options.request_batch_max_count),
        ("RequestBatchMaxBytes", options.request_batch_max_bytes),
        (
            "IncomingMessageBufferSize",
            options.incoming_message_buffer_size,
        ),
        ("RequestPoolSize", options.request_pool_size),
        ("LeaderHeartbeatCount", options.leader_heartbeat_count),
    ] {
        if value == Some(0) {
            faults.configtx(
                &format!("{pointer}/{name}"),
                format!("{name} is 0"),
                format!("the orderer refuses 0 (SmartBFT: {name} should be greater than zero); write a number above 0, or leave {name} out for the default"),
            );
        }
    }
}

fn check_raft_options(faults: &mut Faults, options: &cx::RaftOptions, pointer: &str) {
    if let Some(tick) = &options.tick_interval {
        check_duration(
            faults,
            tick,
            &format!("{pointer}/TickInterval"),
            "TickInterval",
            "500ms",
        );
    }
    for (name, value, default) in [
        ("ElectionTick", options.election_tick, "10"),
        ("HeartbeatTick", options.heartbeat_tick, "1"),
        ("MaxInflightBlocks", options.max_inflight_blocks, "5"),
    ] {
        if value == Some(0) {
            faults.configtx(
                &format!("{pointer}/{name}"),
                format!("{name} is 0"),
                format!("the orderer refuses 0 (configtxgen writes its default {default} instead); write a number above 0, or leave {name} out"),
            );
        }
    }
    let election = options.election_tick.unwrap_or(DEFAULT_ELECTION_TICK);
    let heartbeat = options.heartbeat_tick.unwrap_or(DEFAULT_HEARTBEAT_TICK);
    if election != 0 && heartbeat != 0 && election <= heartbeat {
        let at = if options.election_tick.is_some() {
            "ElectionTick"
        } else {
            "HeartbeatTick"
        };
        faults.configtx(
            &format!("{pointer}/{at}"),
            format!(
                "ElectionTick {election}{} is not greater than HeartbeatTick {heartbeat}{}",
                if options.election_tick.is_none() { " (the default)" } else { "" },
                if options.heartbeat_tick.is_none() { " (the default)" } else { "" },
            ),
            "Raft needs an election timeout longer than the heartbeat; e.g. ElectionTick 10, HeartbeatTick 1".into(),
        );
    }
    if let Some(size) = &options.snapshot_interval_size {
        check_size(
            faults,
            size,
            &format!("{pointer}/SnapshotIntervalSize"),
            "SnapshotIntervalSize",
            "16 MB",
        );
    }
}
