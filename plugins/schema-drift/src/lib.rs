//! `schema-drift` — seed question 3: "Are you handling schema drift gracefully, or are you
//! hard-parsing yourself into a corner?"
//!
//! Event shapes change: fields are added, retyped, retired. An integration survives that when
//! its consumers tolerate unknown fields, its schemas live in a registry that enforces a
//! compatibility mode, and contract tests catch breaking changes before production. This file
//! declares the check and runs `config.rs` (strict Jackson deserialisation, JSON Kafka serdes
//! without a registry) and `registry.rs` (the schema contracts declared in the integration
//! registry).

use plumbline_sdk::prelude::*;

mod config;
mod registry;

pub struct SchemaDrift;

pub const STRICT_DESERIALISATION: &str = "schema-drift/strict-deserialisation";
pub const NO_SCHEMA_REGISTRY: &str = "schema-drift/no-schema-registry";
pub const COMPATIBILITY_NONE: &str = "schema-drift/compatibility-none";
pub const NO_CONTRACT_TESTS: &str = "schema-drift/no-contract-tests";
pub const UNDECLARED_CONTRACT: &str = "schema-drift/undeclared-contract";

impl Check for SchemaDrift {
    fn info() -> Info {
        Info::new(
            "schema-drift",
            "Tolerance to schema drift",
            "Are you handling schema drift gracefully, or are you hard-parsing yourself into a corner?",
        )
        .version(env!("CARGO_PKG_VERSION"))
        .reads(Section::ConfigFiles)
        .reads(Section::Registry)
        .rule(
            RuleSpec::new(STRICT_DESERIALISATION, Severity::Medium, "Consumers ignore unknown fields")
                .description(
                    "With FAIL_ON_UNKNOWN_PROPERTIES enabled, Jackson throws as soon as a producer adds \
                     a field, which is the most common and otherwise harmless schema change. Every \
                     message then fails to deserialise, and the pipeline stops until the consumer \
                     is redeployed in lockstep with the producer.",
                )
                .remediation(
                    "Set `spring.jackson.deserialization.fail-on-unknown-properties: false` (Spring \
                     Boot's default) or annotate event classes with \
                     `@JsonIgnoreProperties(ignoreUnknown = true)`; validate only the fields the \
                     consumer actually uses.",
                )
                .reference("https://docs.spring.io/spring-boot/how-to/spring-mvc.html#howto.spring-mvc.customize-jackson-objectmapper")
                .reference("https://github.com/FasterXML/jackson-databind/wiki/Deserialization-Features"),
        )
        .rule(
            RuleSpec::new(NO_SCHEMA_REGISTRY, Severity::Medium, "Broker payloads are governed by a schema registry")
                .description(
                    "When the payload schema lives only in the producer's code, nothing stops a \
                     producer from renaming a field or changing its type: consumers find out by \
                     failing in production. A schema registry versions each schema and rejects \
                     incompatible changes at publish time.",
                )
                .remediation(
                    "Register the payload schema (Avro, Protobuf or JSON Schema) in a schema registry \
                     and use its serialisers (e.g. Confluent KafkaAvroSerializer / \
                     KafkaJsonSchemaSerializer with `schema.registry.url`), and record the registry \
                     in the integration registry entry.",
                )
                .reference("https://docs.confluent.io/platform/current/schema-registry/index.html")
                .reference("https://docs.spring.io/spring-kafka/reference/kafka/serdes.html"),
        )
        .rule(
            RuleSpec::new(COMPATIBILITY_NONE, Severity::High, "Schemas evolve under a compatibility guarantee")
                .description(
                    "Compatibility NONE lets the registry accept any new schema version, including \
                     ones that remove required fields or change types. The registry is then only a \
                     catalogue: a breaking change reaches consumers unchecked.",
                )
                .remediation(
                    "Set the subject's compatibility to BACKWARD (or FULL / *_TRANSITIVE): `PUT \
                     /config/<subject> {\"compatibility\": \"BACKWARD\"}`; make breaking changes as a \
                     new topic or subject and migrate consumers first.",
                )
                .reference("https://docs.confluent.io/platform/current/schema-registry/fundamentals/schema-evolution.html")
                .reference("https://avro.apache.org/docs/1.11.1/specification/#schema-resolution"),
        )
        .rule(
            RuleSpec::new(NO_CONTRACT_TESTS, Severity::Low, "Consumers run contract tests against published samples")
                .description(
                    "A compatibility mode checks the schema, not the consumer's assumptions about it \
                     (a field that must be present, an enum value it does not know). Consumer-side \
                     contract tests against the producer's published sample events catch drift \
                     before it reaches production.",
                )
                .remediation(
                    "Have producers publish a sample event for every schema change and run the \
                     consumer's tests against it in CI (Pact message pacts, Spring Cloud Contract); \
                     then set `contract_tests: true` in the registry entry.",
                )
                .reference("https://docs.pact.io/getting_started/how_pact_works#non-http-testing-message-pact")
                .reference("https://docs.spring.io/spring-cloud-contract/reference/"),
        )
        .rule(
            RuleSpec::new(UNDECLARED_CONTRACT, Severity::Low, "Every integration declares its schema contract")
                .description(
                    "An integration with no declared schema has no agreed shape at all: nobody knows \
                     which format it uses, whether a registry checks it or who must be told before \
                     a change. Drift there is discovered by the consumer's error log.",
                )
                .remediation(
                    "Add a `schema` block to the integration's registry entry: format, registry, \
                     compatibility mode and whether contract tests run.",
                )
                .reference("https://docs.confluent.io/platform/current/schema-registry/fundamentals/data-contracts.html"),
        )
        .param(
            "broker-transports",
            ["kafka", "rabbitmq", "sqs"],
            "Integration transports whose payload schemas must be registered in a schema registry.",
        )
    }

    fn run(audit: &mut Audit<'_>) {
        let files = audit.config_files();
        config::audit_strict_deserialisation(audit, &files);
        config::audit_json_serdes(audit, &files);
        let integrations = audit.registry();
        registry::audit(audit, &integrations);
    }
}

plumbline_sdk::export_check!(SchemaDrift);

#[cfg(test)]
mod tests;
