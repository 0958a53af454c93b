//! `pack.toml`, the manifest of a plugin pack (`plumbline-pack/1`): who made the pack, which
//! version it is, which contract and plumbline versions it needs, and each check's component
//! file with its sha256. Parsed strictly: unknown fields, missing fields and bad values are
//! errors that name the field. Nothing here reads files or checks signatures.
//!
//! ```toml
//! format = "plumbline-pack/1"
//! name = "acme-dlq"
//! vendor = "Acme Integrations"
//! version = "1.0.0"
//! description = "Dead-letter queue retention for SQS"   # optional
//! contract = "^0.1"            # semver requirement on plumbline:audit
//! min-plumbline = "0.1.0"
//!
//! [[checks]]
//! id = "dlq-retention"
//! component = "dlq-retention.wasm"
//! sha256 = "3b0c…"            # 64 lowercase hex digits
//! ```

use serde::{Deserialize, Serialize};

/// The manifest's format identifier.
pub const FORMAT: &str = "plumbline-pack/1";
/// The manifest's file name inside a pack.
pub const FILE: &str = "pack.toml";
/// Most checks one pack may hold.
pub const MAX_CHECKS: usize = 64;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Manifest {
    pub format: String,
    /// Kebab-case, unique in a pack store; `plumbline-core` is the built-in pack.
    pub name: String,
    pub vendor: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Semver requirement on the `plumbline:audit` contract version (e.g. `^0.1`).
    pub contract: String,
    /// Oldest plumbline that can run the pack.
    pub min_plumbline: String,
    pub checks: Vec<CheckEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CheckEntry {
    /// The check id the component declares in `describe()`.
    pub id: String,
    /// File name of the component inside the pack (`*.wasm`, no directories).
    pub component: String,
    /// Hex sha256 of the component.
    pub sha256: String,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ManifestError {
    #[error("pack.toml is not UTF-8 text")]
    NotUtf8,
    #[error("pack.toml: {0}")]
    Syntax(String),
    #[error("pack.toml: field `{field}`: {why}")]
    Field { field: String, why: String },
}

/// What the host offers that a manifest's requirements are checked against.
#[derive(Debug, Clone, Copy)]
pub struct HostVersions<'a> {
    pub plumbline: &'a str,
    pub contract: &'a str,
}

impl HostVersions<'static> {
    /// This binary's versions.
    pub fn current() -> Self {
        HostVersions { plumbline: env!("CARGO_PKG_VERSION"), contract: crate::contract::VERSION }
    }
}

impl Manifest {
    /// Parses and validates manifest bytes (not the host requirements: see [`Manifest::fits`]).
    pub fn parse(bytes: &[u8]) -> Result<Manifest, ManifestError> {
        let text = std::str::from_utf8(bytes).map_err(|_| ManifestError::NotUtf8)?;
        let manifest: Manifest =
            toml::from_str(text).map_err(|e| ManifestError::Syntax(super::toml_error(text, &e)))?;
        manifest.validate()?;
        Ok(manifest)
    }

    /// Checks every value (names, versions, file names, digests) without looking at the host.
    pub fn validate(&self) -> Result<(), ManifestError> {
        let field = |field: &str, why: String| ManifestError::Field { field: field.to_string(), why };
        if self.format != FORMAT {
            return Err(field("format", format!("is `{}`; this plumbline reads `{FORMAT}`", self.format)));
        }
        if !is_kebab(&self.name) {
            return Err(field(
                "name",
                format!("`{}` must be kebab-case (a-z, 0-9, -), at most 64 characters", self.name),
            ));
        }
        if self.vendor.trim().is_empty() || self.vendor.len() > 200 {
            return Err(field("vendor", "must be a non-empty name of at most 200 characters".into()));
        }
        semver::Version::parse(&self.version)
            .map_err(|e| field("version", format!("`{}` is not a semantic version: {e}", self.version)))?;
        semver::VersionReq::parse(&self.contract).map_err(|e| {
            field("contract", format!("`{}` is not a semver requirement (e.g. \"^0.1\"): {e}", self.contract))
        })?;
        semver::Version::parse(&self.min_plumbline)
            .map_err(|e| field("min-plumbline", format!("`{}` is not a semantic version: {e}", self.min_plumbline)))?;
        if self.checks.is_empty() {
            return Err(field("checks", "a pack needs at least one [[checks]] entry".into()));
        }
        if self.checks.len() > MAX_CHECKS {
            return Err(field("checks", format!("{} entries; a pack holds at most {MAX_CHECKS}", self.checks.len())));
        }
        for (i, check) in self.checks.iter().enumerate() {
            let at = |name: &str| format!("checks[{i}].{name}");
            if !is_kebab(&check.id) {
                return Err(field(&at("id"), format!("`{}` must be a kebab-case check id", check.id)));
            }
            if !is_component_name(&check.component) {
                return Err(field(
                    &at("component"),
                    format!("`{}` must be a plain file name ending in .wasm (no directories)", check.component),
                ));
            }
            if !is_sha256(&check.sha256) {
                return Err(field(&at("sha256"), "must be 64 lowercase hexadecimal digits".into()));
            }
            if self.checks[..i].iter().any(|c| c.id == check.id) {
                return Err(field(&at("id"), format!("`{}` appears twice", check.id)));
            }
            if self.checks[..i].iter().any(|c| c.component == check.component) {
                return Err(field(&at("component"), format!("`{}` appears twice", check.component)));
            }
        }
        Ok(())
    }

    /// Why this host cannot run the pack (contract outside the range, plumbline too old).
    pub fn fits(&self, host: HostVersions<'_>) -> Result<(), String> {
        // Both parsed in `validate`; a parse failure here would be a host bug, reported as such.
        let contract = semver::VersionReq::parse(&self.contract).map_err(|e| e.to_string())?;
        let host_contract = semver::Version::parse(host.contract).map_err(|e| e.to_string())?;
        if !contract.matches(&host_contract) {
            return Err(format!(
                "needs contract plumbline:audit {}, but this plumbline implements {}",
                self.contract, host.contract
            ));
        }
        let min = semver::Version::parse(&self.min_plumbline).map_err(|e| e.to_string())?;
        let ours = semver::Version::parse(host.plumbline).map_err(|e| e.to_string())?;
        if ours < min {
            return Err(format!(
                "needs plumbline {} or newer, this is {}; upgrade plumbline",
                self.min_plumbline, ours
            ));
        }
        Ok(())
    }
}

/// `a-z0-9` words joined by single dashes, 1..=64 characters.
pub fn is_kebab(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text.split('-').all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
}

pub fn is_component_name(name: &str) -> bool {
    name.len() <= 128
        && name.ends_with(".wasm")
        && name.len() > ".wasm".len()
        && !name.starts_with('.')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

pub fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
format = "plumbline-pack/1"
name = "acme-dlq"
vendor = "Acme"
version = "1.2.0"
contract = "^0.1"
min-plumbline = "0.1.0"

[[checks]]
id = "dlq-retention"
component = "dlq-retention.wasm"
sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
"#;

    fn with(from: &str, to: &str) -> Result<Manifest, ManifestError> {
        assert!(GOOD.contains(from), "fixture lacks {from}");
        Manifest::parse(GOOD.replace(from, to).as_bytes())
    }

    fn field_of(result: Result<Manifest, ManifestError>) -> String {
        match result {
            Err(ManifestError::Field { field, .. }) => field,
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn parses_a_good_manifest() {
        let m = Manifest::parse(GOOD.as_bytes()).unwrap();
        assert_eq!(m.name, "acme-dlq");
        assert_eq!(m.checks[0].component, "dlq-retention.wasm");
        assert!(m.fits(HostVersions { plumbline: "0.1.0", contract: "0.1.0" }).is_ok());
    }

    #[test]
    fn unknown_and_missing_fields_are_named() {
        let err = with("vendor = \"Acme\"", "vendor = \"Acme\"\nhomepage = \"x\"").unwrap_err().to_string();
        assert!(err.contains("homepage"), "{err}");
        let err = with("vendor = \"Acme\"\n", "").unwrap_err().to_string();
        assert!(err.contains("missing field `vendor`"), "{err}");
        let err = with("sha256 = ", "sha = ").unwrap_err().to_string();
        assert!(err.contains("sha"), "{err}");
    }

    #[test]
    fn bad_values_name_their_field() {
        assert_eq!(field_of(with("plumbline-pack/1", "plumbline-pack/2")), "format");
        assert_eq!(field_of(with("acme-dlq", "Acme DLQ")), "name");
        assert_eq!(field_of(with("1.2.0", "1.2")), "version");
        assert_eq!(field_of(with("^0.1", "zero point one")), "contract");
        assert_eq!(field_of(with("min-plumbline = \"0.1.0\"", "min-plumbline = \"new\"")), "min-plumbline");
        assert_eq!(field_of(with("dlq-retention.wasm", "../evil.wasm")), "checks[0].component");
        assert_eq!(field_of(with("dlq-retention.wasm", "/abs.wasm")), "checks[0].component");
        assert_eq!(field_of(with("dlq-retention.wasm", "sub/dir.wasm")), "checks[0].component");
        assert_eq!(field_of(with("dlq-retention.wasm", "check.so")), "checks[0].component");
        assert_eq!(field_of(with("\"0000000000", "\"A000000000")), "checks[0].sha256");
        assert_eq!(field_of(with("id = \"dlq-retention\"", "id = \"DLQ\"")), "checks[0].id");
    }

    #[test]
    fn duplicates_and_empty_lists_are_refused() {
        let twice = format!("{GOOD}\n{}", &GOOD[GOOD.find("[[checks]]").unwrap()..]);
        assert_eq!(field_of(Manifest::parse(twice.as_bytes())), "checks[1].id");
        let cut = &GOOD[..GOOD.find("[[checks]]").unwrap()];
        assert!(Manifest::parse(format!("{cut}checks = []\n").as_bytes()).is_err());
    }

    #[test]
    fn host_requirements() {
        let m = Manifest::parse(GOOD.as_bytes()).unwrap();
        let err = m.fits(HostVersions { plumbline: "0.1.0", contract: "0.2.0" }).unwrap_err();
        assert!(err.contains("^0.1") && err.contains("0.2.0"), "{err}");
        let newer = with("min-plumbline = \"0.1.0\"", "min-plumbline = \"9.0.0\"").unwrap();
        let err = newer.fits(HostVersions { plumbline: "0.1.0", contract: "0.1.0" }).unwrap_err();
        assert!(err.contains("9.0.0") && err.contains("upgrade"), "{err}");
        assert!(m.fits(HostVersions::current()).is_ok());
    }

    #[test]
    fn not_utf8_and_syntax_errors() {
        assert_eq!(Manifest::parse(&[0xff, 0xfe]), Err(ManifestError::NotUtf8));
        assert!(matches!(Manifest::parse(b"name = "), Err(ManifestError::Syntax(_))));
    }
}
