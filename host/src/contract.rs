//! The host's bindings to the WIT contract (`wit/since_v0.1.0`, package `plumbline:audit@0.1.0`).
//!
//! The contract's records double as the snapshot model: the generated types derive serde, so a
//! snapshot file is the contract's data serialised, and a check sees exactly what the file holds.
//! When a new contract version is released, its bindings become the model and this module gains
//! one submodule per frozen version that converts from the newest types (as Zed does for its
//! extension API).

mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit/since_v0.1.0",
        world: "plugin",
        additional_derives: [serde::Serialize, serde::Deserialize, PartialEq],
    });
}

pub use bindings::plumbline::audit::{estate, types};
pub use bindings::{Plugin, PluginPre};

/// The contract version this host implements.
pub const VERSION: &str = "0.1.0";
/// The package name every contract interface lives in.
pub const PACKAGE: &str = "plumbline:audit";

impl types::Section {
    /// All sections, in contract order.
    pub const ALL: [types::Section; 7] = [
        types::Section::Kafka,
        types::Section::Rabbitmq,
        types::Section::Sqs,
        types::Section::Postgres,
        types::Section::Prometheus,
        types::Section::ConfigFiles,
        types::Section::Registry,
    ];

    /// The contract's kebab-case name (`config-files`).
    pub fn name(self) -> &'static str {
        match self {
            types::Section::Kafka => "kafka",
            types::Section::Rabbitmq => "rabbitmq",
            types::Section::Sqs => "sqs",
            types::Section::Postgres => "postgres",
            types::Section::Prometheus => "prometheus",
            types::Section::ConfigFiles => "config-files",
            types::Section::Registry => "registry",
        }
    }
}

impl types::Severity {
    /// Lower is worse: critical = 0 … info = 4.
    pub fn rank(self) -> u8 {
        match self {
            types::Severity::Critical => 0,
            types::Severity::High => 1,
            types::Severity::Medium => 2,
            types::Severity::Low => 3,
            types::Severity::Info => 4,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            types::Severity::Critical => "critical",
            types::Severity::High => "high",
            types::Severity::Medium => "medium",
            types::Severity::Low => "low",
            types::Severity::Info => "info",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            types::Severity::Critical,
            types::Severity::High,
            types::Severity::Medium,
            types::Severity::Low,
            types::Severity::Info,
        ]
        .into_iter()
        .find(|s| s.name().eq_ignore_ascii_case(text))
    }
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    /// Released contract versions are frozen: plugins built against them must keep loading.
    /// Changing a released file is a breaking change — add `wit/since_vX.Y.Z/` instead.
    const FROZEN: &[(&str, &str)] = &[
        ("since_v0.1.0/estate.wit", "381d9450c9290b41aba9adc3423db8b623a1834a75cbd3ec1674d9dc063b7d58"),
        ("since_v0.1.0/types.wit", "6eae2dbc2b38119dc51718cebed019745611364d0ac70dcef747254f2101e926"),
        ("since_v0.1.0/world.wit", "eff917a823891b0855ddd944110469f98213c91e403c626c4e4989a6d69d146a"),
    ];

    #[test]
    fn released_contract_versions_are_frozen() {
        let wit = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit");
        for (file, pinned) in FROZEN {
            let bytes = std::fs::read(wit.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
            let actual = hex::encode(Sha256::digest(&bytes));
            assert_eq!(&actual, pinned, "wit/{file} changed after release; add a new since_v folder instead");
        }
        let files = std::fs::read_dir(wit.join("since_v0.1.0")).unwrap().count();
        assert_eq!(files, FROZEN.len(), "a file was added to a released contract version");
    }

    #[test]
    fn the_package_version_in_the_wit_matches_the_host_constant() {
        let wit = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit/since_v0.1.0/world.wit");
        let text = std::fs::read_to_string(wit).unwrap();
        assert!(text.contains(&format!("package {}@{};", super::PACKAGE, super::VERSION)));
    }
}
