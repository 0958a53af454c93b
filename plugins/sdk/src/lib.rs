//! `plumbline-sdk` — write a plumbline audit check in plain Rust.
//!
//! A check is a type implementing [`Check`]: it describes itself ([`Check::info`]) and inspects the
//! estate through an [`Audit`] ([`Check::run`]). [`export_check!`] turns it into the
//! `plumbline:audit/check` export of a Wasm component (build with
//! `cargo build --target wasm32-wasip2`). The generated WIT bindings stay private; the estate's
//! record types are re-exported in [`estate`].
//!
//! ```text
//! use plumbline_sdk::prelude::*;
//!
//! struct Acks;
//! impl Check for Acks {
//!     fn info() -> Info { Info::new("acks", "Acknowledgements", "Is every message acked?").reads(Section::Rabbitmq) }
//!     fn run(audit: &mut Audit) {
//!         for broker in audit.rabbitmq() { /* audit.evaluated(..); audit.finding(..) */ }
//!     }
//! }
//! plumbline_sdk::export_check!(Acks);
//! ```
//!
//! The same check runs natively in unit tests against a fixture snapshot: see [`testing`].
//!
//! Not in here: anything about how the host collects, caches or reports — only the guest side.

extern crate self as plumbline_sdk;

mod audit;
pub mod helpers;
pub mod index;
mod info;
mod params;
mod source;
pub mod testing;

#[doc(hidden)]
pub mod __bindings {
    wit_bindgen::generate!({
        path: "../../wit/since_v0.1.0",
        world: "plugin",
        pub_export_macro: true,
        export_macro_name: "__export_plugin",
        default_bindings_module: "::plumbline_sdk::__bindings",
        runtime_path: "::plumbline_sdk::__wit_bindgen::rt",
        additional_derives: [serde::Serialize, serde::Deserialize, PartialEq],
    });
}
#[doc(hidden)]
pub use wit_bindgen as __wit_bindgen;

pub use audit::Audit;
pub use info::{Info, RuleSpec};
pub use params::Params;
#[doc(hidden)]
pub use source::HostEstate;
pub use source::{Estate, SectionRead};

pub use __bindings::plumbline::audit::types::{
    CheckInfo, Finding, Param, ParamSpec, ParamValue, Rule, Section, Severity, Status, Subject, Verdict,
};

/// The estate's record types, exactly as the contract defines them.
pub mod estate {
    pub use crate::__bindings::plumbline::audit::estate::*;
}

/// Everything a check usually needs, in one `use`.
pub mod prelude {
    pub use crate::estate::*;
    pub use crate::helpers::{glob, glob_any, looks_like_dead_letter, pair, sample, series};
    pub use crate::{Audit, Check, Info, ParamValue, RuleSpec, Section, Severity, Status, Subject};
}

/// One audit check. Implement `info` and `run`; the defaults do the rest.
pub trait Check {
    /// Id, title, question, sections, rules and parameters. Must not depend on the estate.
    fn info() -> Info;

    /// Inspect the estate and record findings on `audit`.
    fn run(audit: &mut Audit<'_>);

    /// The verdict's status. The default is the one rule every check should follow:
    /// findings → `fail`; otherwise an unavailable section → `inconclusive`; otherwise nothing
    /// evaluated → `skip`; otherwise `pass`.
    fn conclude(audit: &Audit<'_>) -> Status {
        audit.default_status()
    }
}

/// Runs `C` against an estate with the given parameters; used by the export and by tests.
pub fn run_check<C: Check>(estate: &dyn Estate, params: Vec<Param>) -> Verdict {
    let info = C::info();
    let mut audit = Audit::new(estate, &info, Params::new(&info, params));
    C::run(&mut audit);
    let status = C::conclude(&audit);
    audit.into_verdict(status)
}

/// Exports a [`Check`] implementation as the component's `plumbline:audit/check` interface.
#[macro_export]
macro_rules! export_check {
    ($check:ty) => {
        #[doc(hidden)]
        pub struct __PlumblineExport;
        impl $crate::__bindings::exports::plumbline::audit::check::Guest for __PlumblineExport {
            fn describe() -> $crate::CheckInfo {
                <$check as $crate::Check>::info().into_check_info()
            }
            fn run(params: ::std::vec::Vec<$crate::Param>) -> $crate::Verdict {
                $crate::run_check::<$check>(&$crate::HostEstate, params)
            }
        }
        // Exported symbols only exist in the component; native builds (unit tests) skip them.
        #[cfg(target_arch = "wasm32")]
        $crate::__bindings::__export_plugin!(__PlumblineExport);
    };
}

impl Section {
    /// The section's contract name (`rabbitmq`, `config-files`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            Section::Kafka => "kafka",
            Section::Rabbitmq => "rabbitmq",
            Section::Sqs => "sqs",
            Section::Postgres => "postgres",
            Section::Prometheus => "prometheus",
            Section::ConfigFiles => "config-files",
            Section::Registry => "registry",
        }
    }
}
