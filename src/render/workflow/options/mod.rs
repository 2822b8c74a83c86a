//! Flow options, Helm-style: `-f values.yaml` files merged in order, then
//! `--set key=value` (`values.rs`), read into the options struct of the flow
//! being emitted (`parse.rs`): one struct per flow, built of sections named
//! by their keys, each rejecting unknown keys. A key of another flow is an
//! error that names its flows; an unknown key, one that suggests the
//! closest. The structs' doc comments, through their JSON schema
//! (`schema.rs`), are the option lists of `--help` and README.md
//! (`docs.rs`).

mod backup;
pub mod common;
mod docs;
mod flows;
mod kinds;
mod parse;
pub mod schema;
mod update;
mod values;

use std::path::Path;

pub use backup::{
    BackupFlow, BackupFlowKeys, BackupOptions, BackupSection, BackupTarget, Components,
    RestoreFlow, RestoreOptions,
};
pub use common::{ChannelSelection, FlowKeys, HostAlias};
pub use docs::{help, table, update_readme};
pub use flows::{
    ChaincodeFlow, ChaincodeOptions, ChannelOptions, ChannelUpdateOptions, ConfigUpdateFlow,
    ConfigUpdateKeys, PeerOrgOptions, RolloutOptions, UpgradeCheckOptions,
};
pub use update::{ScopeSettings, SmartBftKind, UpdateSection};
pub use values::Values;

use super::chart_values::ChartValues;
use super::Flow;

/// The options of one flow.
// One per run: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum FlowOptions {
    Channel(ChannelOptions),
    Chaincode(ChaincodeOptions),
    PeerOrg(PeerOrgOptions),
    ChannelUpdate(ChannelUpdateOptions),
    Backup(BackupOptions),
    Restore(RestoreOptions),
    UpgradeCheck(UpgradeCheckOptions),
    Rollout(RolloutOptions),
}

impl FlowOptions {
    /// `flow`'s options from `files` (in order), then `sets` (in order).
    /// The faults of the files are reported at their line and column, all
    /// at once; of `--set`, the first.
    /// The chart's values among them (`-f` the values file `helm install`
    /// took) set the steps' images and security; its other keys are left
    /// to the chart.
    pub fn load(
        flow: Flow,
        files: &[impl AsRef<Path>],
        sets: &[impl AsRef<str>],
    ) -> anyhow::Result<FlowOptions> {
        let mut values = Values::load(files, sets)?;
        let chart = values.take_chart_values();
        let mut options = FlowOptions::read(flow, &values)?;
        options.set_chart(chart);
        Ok(options)
    }

    fn set_chart(&mut self, chart: ChartValues) {
        match self {
            FlowOptions::Channel(o) => o.chart = chart,
            FlowOptions::Chaincode(o) => o.chart = chart,
            FlowOptions::PeerOrg(o) => o.chart = chart,
            FlowOptions::ChannelUpdate(o) => o.chart = chart,
            FlowOptions::Backup(o) => o.chart = chart,
            FlowOptions::Restore(o) => o.chart = chart,
            FlowOptions::UpgradeCheck(o) => o.chart = chart,
            FlowOptions::Rollout(o) => o.chart = chart,
        }
    }

    /// `flow`'s options from values already merged.
    pub fn read(flow: Flow, values: &Values) -> anyhow::Result<FlowOptions> {
        Ok(match flow {
            Flow::Channel => FlowOptions::Channel(parse::typed(flow, values)?),
            Flow::Chaincode => FlowOptions::Chaincode(parse::typed(flow, values)?),
            Flow::PeerOrg => FlowOptions::PeerOrg(parse::typed(flow, values)?),
            Flow::ChannelUpdate => FlowOptions::ChannelUpdate(parse::typed(flow, values)?),
            Flow::Backup => FlowOptions::Backup(parse::typed(flow, values)?),
            Flow::Restore => FlowOptions::Restore(parse::typed(flow, values)?),
            Flow::UpgradeCheck => FlowOptions::UpgradeCheck(parse::typed(flow, values)?),
            Flow::Rollout => FlowOptions::Rollout(parse::typed(flow, values)?),
        })
    }

    /// `flow`'s defaults.
    pub fn defaults(flow: Flow) -> FlowOptions {
        FlowOptions::load(flow, &[] as &[&Path], &[] as &[&str]).expect("defaults are valid")
    }

    pub fn flow(&self) -> Flow {
        match self {
            FlowOptions::Channel(_) => Flow::Channel,
            FlowOptions::Chaincode(_) => Flow::Chaincode,
            FlowOptions::PeerOrg(_) => Flow::PeerOrg,
            FlowOptions::ChannelUpdate(_) => Flow::ChannelUpdate,
            FlowOptions::Backup(_) => Flow::Backup,
            FlowOptions::Restore(_) => Flow::Restore,
            FlowOptions::UpgradeCheck(_) => Flow::UpgradeCheck,
            FlowOptions::Rollout(_) => Flow::Rollout,
        }
    }

    /// The keys every flow has.
    pub fn common(&self) -> &dyn FlowKeys {
        match self {
            FlowOptions::Channel(o) => o,
            FlowOptions::Chaincode(o) => o,
            FlowOptions::PeerOrg(o) => o,
            FlowOptions::ChannelUpdate(o) => o,
            FlowOptions::Backup(o) => o,
            FlowOptions::Restore(o) => o,
            FlowOptions::UpgradeCheck(o) => o,
            FlowOptions::Rollout(o) => o,
        }
    }

    /// `flow.channel`, for the flows over channels.
    pub fn channels(&self) -> Option<&ChannelSelection> {
        match self {
            FlowOptions::Channel(o) => Some(&o.flow.channel),
            FlowOptions::PeerOrg(o) => Some(&o.flow.channel),
            FlowOptions::ChannelUpdate(o) => Some(&o.flow.channel),
            FlowOptions::UpgradeCheck(o) => Some(&o.flow.channel),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{Diagnostics, Location};

    fn load(flow: Flow, sets: &[&str]) -> anyhow::Result<FlowOptions> {
        FlowOptions::load(flow, &[] as &[&Path], sets)
    }

    fn error(flow: Flow, sets: &[&str]) -> String {
        load(flow, sets).unwrap_err().to_string()
    }

    #[test]
    fn helm_style_sets() {
        let FlowOptions::Chaincode(o) = load(
            Flow::Chaincode,
            &[
                "chaincode.version=2.0",
                "flow.chaincode.include={a,b},retryCount=7",
            ],
        )
        .unwrap() else {
            panic!("chaincode options")
        };
        assert_eq!(o.chaincode.version, "2.0");
        assert_eq!(o.flow.chaincode.include, ["a", "b"]);
        assert_eq!(o.retry_count(), 7);
        assert!(o.flow.chaincode.parallel && !o.flow.invoke.enabled);
    }

    #[test]
    fn defaults_are_pivts() {
        let FlowOptions::Chaincode(o) = FlowOptions::defaults(Flow::Chaincode) else {
            panic!("chaincode options")
        };
        assert_eq!(o.chaincode.version, "1.0");
        assert_eq!(o.flow.invoke.function, r#"{"function":"ping","Args":[""]}"#);
        assert_eq!(o.flow.commit.approval_wait, 60);
        assert_eq!((o.retry_count(), o.log_level()), (4, "info"));
        let FlowOptions::Backup(b) = FlowOptions::defaults(Flow::Backup) else {
            panic!("backup options")
        };
        assert_eq!(b.backup.target.kind, "s3");
        assert_eq!(b.backup.target.bucket, "hlf-backup");
        assert_eq!(
            (b.backup.wait_seconds, b.backup.deadline_seconds),
            (600, 21600)
        );
        assert!(b.flow.orderer.backup.enabled && !b.flow.orderer.backup.rolling);
    }

    #[test]
    fn unknown_keys_name_the_valid_ones() {
        let e = error(Flow::Channel, &["flow.chanel.parallel=false"]);
        assert!(e.contains("unknown option `flow.chanel.parallel`"), "{e}");
        assert!(e.contains("flow.channel.parallel"), "{e}");
    }

    #[test]
    fn keys_of_other_flows_name_them() {
        let e = error(Flow::Channel, &["backup.key=nightly"]);
        assert!(
            e.contains("option `backup.key` does not apply to `fabchart flow channel` (it is for: backup restore)"),
            "{e}"
        );
        let e = error(Flow::Backup, &["restore.force=true"]);
        assert!(e.contains("(it is for: restore)"), "{e}");
        assert!(load(Flow::Restore, &["restore.force=true"]).is_ok());
    }

    #[test]
    fn channel_update_settings_are_checked_when_loaded() {
        let e = error(Flow::ChannelUpdate, &["update.orderer.batchTimeout=soon"]);
        assert!(e.contains("not a Go duration"), "{e}");
        for bad in [
            "update.orderer.batchTimeout=0s",
            "update.orderer.batchSize.absoluteMaxBytes=0",
            "update.orderer.batchSize.preferredMaxBytes=5 GB",
            "update.orderer.batchSize.maxMessageCount=0",
            "update.channel.policies.Admins=SOME Admins",
            "update.application.policies.Endorsement=OR('A.pear')",
        ] {
            assert!(load(Flow::ChannelUpdate, &[bad]).is_err(), "{bad}");
        }
        let FlowOptions::ChannelUpdate(o) = load(
            Flow::ChannelUpdate,
            &[
                "update.orderer.batchSize.absoluteMaxBytes=1048576",
                "update.orderer.batchTimeout=1.5s",
                "update.orderer.batchSize.maxMessageCount=500",
            ],
        )
        .unwrap() else {
            panic!("channel-update options")
        };
        let orderer = &o.update.orderer;
        assert_eq!(orderer.batch_size.absolute_max_bytes, "1048576");
        assert_eq!(orderer.batch_size.max_message_count, "500");
        assert_eq!(orderer.batch_timeout, "1.5s");
    }

    #[test]
    fn values_file_faults_point_into_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("v.yaml");
        std::fs::write(
            &file,
            "flow:\n  channel: {parallel: maybe}\n  chaincod:\n    include: [a]\n",
        )
        .unwrap();
        let e = FlowOptions::load(Flow::Channel, &[&file], &[] as &[&str]).unwrap_err();
        let diagnostics = e.downcast_ref::<Diagnostics>().expect("positioned");
        let at: Vec<_> = diagnostics.0.iter().map(|d| d.location.unwrap()).collect();
        assert_eq!(
            at,
            [
                Location {
                    line: 2,
                    column: 23
                },
                Location { line: 3, column: 3 }
            ]
        );
        // A --set of the same key wins over the file: no fault left there.
        let fixed = FlowOptions::load(Flow::Channel, &[&file], &["flow.channel.parallel=false"])
            .unwrap_err();
        assert_eq!(fixed.downcast_ref::<Diagnostics>().unwrap().0.len(), 1);
    }

    #[test]
    fn the_charts_values_file_is_read_too() {
        // The chart's own values.yaml, as a user passes it to helm and the flows.
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("values.yaml");
        let chart = crate::render::templates::CHART_TEMPLATES
            .iter()
            .find(|(p, _)| *p == "values.yaml")
            .unwrap()
            .1;
        std::fs::write(&file, chart).unwrap();
        let options = FlowOptions::load(
            Flow::Backup,
            &[&file],
            &[
                "global.imageRegistry=mirror.local",
                "peer.logLevel=DEBUG",
                "backup.target.secret=s3",
            ],
        )
        .unwrap();
        let chart = options.common().chart();
        let tools = crate::model::Image::new("hyperledger/fabric-tools", "2.5.16");
        assert_eq!(
            chart.image("/flow/image", &tools),
            "mirror.local/hyperledger/fabric-tools:2.5.16"
        );
        assert_eq!(
            chart.rehost("rclone/rclone:1.75.1"),
            "mirror.local/rclone/rclone:1.75.1"
        );
        // A key neither the chart nor any flow has is still an error.
        let e = error(Flow::Channel, &["peer.logLevl=DEBUG"]);
        assert!(e.contains("unknown option `peer.logLevl`"), "{e}");
    }

    #[test]
    fn wrong_types_are_errors() {
        assert!(load(Flow::Chaincode, &["flow.invoke.enabled=maybe"]).is_err());
        assert!(load(Flow::Channel, &["retryCount=-1"]).is_err());
        let e = error(Flow::Channel, &["flow=5"]);
        assert!(
            e.contains("option `flow` must be a mapping of options, not 5"),
            "{e}"
        );
    }
}
