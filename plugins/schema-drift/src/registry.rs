//! Registry side of `schema-drift`: the schema contract each active integration declares.
//!
//! - no contract at all (`schema: null`) → `undeclared-contract`;
//! - a broker transport (`broker-transports`) with no schema registry → `no-schema-registry`;
//! - compatibility `NONE` → `compatibility-none`;
//! - `contract_tests: false` → `no-contract-tests`.
//!
//! Deprecated integrations are left out: they are on their way out, and changing their schema
//! practice would be wasted effort.

use plumbline_sdk::prelude::*;

use crate::{COMPATIBILITY_NONE, NO_CONTRACT_TESTS, NO_SCHEMA_REGISTRY, UNDECLARED_CONTRACT};

pub fn audit(audit: &mut Audit<'_>, integrations: &[Integration]) {
    let brokers: Vec<String> =
        audit.params().list("broker-transports").iter().map(|t| t.to_ascii_lowercase()).collect();
    for integration in integrations.iter().filter(|i| i.is_active()) {
        audit.evaluated(1);
        let subject = || Subject::new("registry", "integration", &integration.id);
        let Some(schema) = &integration.schema else {
            audit.finding(
                UNDECLARED_CONTRACT,
                subject(),
                format!(
                    "Integration `{}` ({} → {} over {}) declares no schema contract: its payload \
                     format, registry and compatibility rules are unknown.",
                    integration.id, integration.source_system, integration.target_system, integration.transport
                ),
                [
                    ("integration", integration.id.clone()),
                    ("transport", integration.transport.clone()),
                    ("schema", "none".into()),
                ],
            );
            continue;
        };
        let evidence = |key: &'static str, value: String| {
            vec![
                ("integration", integration.id.clone()),
                ("transport", integration.transport.clone()),
                ("format", schema.format.clone()),
                (key, value),
            ]
        };
        let registry = schema.registry.as_deref().map(str::trim).filter(|r| !r.is_empty());
        if registry.is_none() && brokers.contains(&integration.transport.to_ascii_lowercase()) {
            audit.finding(
                NO_SCHEMA_REGISTRY,
                subject(),
                format!(
                    "Integration `{}` ({}) declares a {} payload but no schema registry: the producer \
                     can change its shape unchecked, and `{}` finds out by failing.",
                    integration.id, integration.transport, schema.format, integration.target_system
                ),
                evidence("registry", "none".into()),
            );
        }
        if let Some(mode) = schema.compatibility.as_deref().filter(|c| c.trim().eq_ignore_ascii_case("none")) {
            audit.finding(
                COMPATIBILITY_NONE,
                subject(),
                format!(
                    "Integration `{}` registers its {} schema{} with compatibility `{mode}`: the \
                     registry accepts any change, including removed or retyped fields.",
                    integration.id,
                    schema.format,
                    registry.map(|r| format!(" in `{r}`")).unwrap_or_default()
                ),
                evidence("compatibility", mode.to_string()),
            );
        }
        if !schema.contract_tests {
            audit.finding(
                NO_CONTRACT_TESTS,
                subject(),
                format!(
                    "Integration `{}` runs no consumer contract tests against the producer's sample \
                     events: a breaking change in `{}`'s payload is first seen in production.",
                    integration.id, integration.source_system
                ),
                evidence("contract_tests", "false".into()),
            );
        }
    }
}
