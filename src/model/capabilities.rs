//! Capability names each Fabric release knows. A channel set to a capability
//! its peers do not know makes them stop on the next block, and that cannot be
//! reverted, so unknown names are refused before anything is written or sent.

/// Which part of the channel config a capability belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Channel,
    Orderer,
    Application,
}

impl Scope {
    pub fn name(self) -> &'static str {
        match self {
            Scope::Channel => "Channel",
            Scope::Orderer => "Orderer",
            Scope::Application => "Application",
        }
    }
}

use super::FabricVersion;

/// The capabilities `fabric_version` (e.g. 2.5.16, 3.1.0) understands in `scope`.
pub fn known(scope: Scope, fabric_version: FabricVersion) -> &'static [&'static str] {
    match (scope, fabric_version.major >= 3) {
        (Scope::Channel, false) => &["V1_1", "V1_3", "V1_4_2", "V1_4_3", "V2_0"],
        (Scope::Channel, true) => &["V2_0", "V3_0"],
        (Scope::Orderer, _) => &["V1_1", "V1_4_2", "V2_0"],
        (Scope::Application, false) => &["V1_1", "V1_2", "V1_3", "V1_4_2", "V2_0", "V2_5"],
        (Scope::Application, true) => &["V2_0", "V2_5"],
    }
}

/// Whether the enabled application capabilities give the v2 chaincode lifecycle.
pub fn has_v2_lifecycle(application: &[String]) -> bool {
    application.iter().any(|c| c == "V2_0" || c == "V2_5")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fabric_2_5_knows_v2_5_application_but_not_v3_channel() {
        let v = |t: &str| t.parse::<FabricVersion>().unwrap();
        assert!(known(Scope::Application, v("2.5.16")).contains(&"V2_5"));
        assert!(!known(Scope::Channel, v("2.5.16")).contains(&"V3_0"));
        assert!(known(Scope::Channel, v("3.1.0")).contains(&"V3_0"));
        assert!(!known(Scope::Application, v("2.5.16")).contains(&"V1_4_3"));
    }
}
