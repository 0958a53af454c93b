//! Reads a component's imports and exports *before* compiling it, so a plugin built for another
//! contract version, a core module, or a component importing something we do not provide is
//! refused with a message that says exactly that — not a link error.

use wasmparser::{Encoding, Parser, Payload};

use crate::contract;

/// What a plugin file declares about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    /// Version of `plumbline:audit/check` it exports.
    pub contract_version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InspectError {
    #[error("not a WebAssembly file (bad magic number or truncated header)")]
    NotWasm,
    #[error(
        "a core WebAssembly module, not a component: build it for wasm32-wasip2 (or run `wasm-tools component new`)"
    )]
    CoreModule,
    #[error("malformed component: {0}")]
    Malformed(String),
    #[error("does not export `{pkg}/check`: not a plumbline check", pkg = contract::PACKAGE)]
    NotACheck,
    #[error(
        "built for contract {pkg}@{found}, but this plumbline implements {pkg}@{host} \
         (compatible plugins use {pkg}@{compatible}); rebuild it against plumbline-sdk for {host}",
        pkg = contract::PACKAGE, host = contract::VERSION, compatible = compatible_range()
    )]
    IncompatibleContract { found: String },
    #[error("imports `{0}`, which plumbline does not provide (plugins may import only {pkg} and wasi:* 0.2)", pkg = contract::PACKAGE)]
    ForbiddenImport(String),
}

fn compatible_range() -> String {
    let mut parts = contract::VERSION.split('.');
    let (major, minor) = (parts.next().unwrap_or("0"), parts.next().unwrap_or("0"));
    if major == "0" { format!("0.{minor}.x") } else { format!("{major}.x") }
}

/// Semver compatibility as the component model applies it: same major, and for 0.x same minor.
pub fn compatible(found: &str) -> bool {
    let parse = |v: &str| -> Option<(u64, u64)> {
        let mut parts = v.split(['.', '-', '+']);
        Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
    };
    match (parse(found), parse(contract::VERSION)) {
        (Some((0, a)), Some((0, b))) => a == b,
        (Some((a, _)), Some((b, _))) => a == b,
        _ => false,
    }
}

/// Scans the top level of a component: its contract version and that every import is allowed.
pub fn inspect(bytes: &[u8]) -> Result<Declared, InspectError> {
    if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
        return Err(InspectError::NotWasm);
    }
    let mut contract_version = None;
    // Nested modules/components are yielded by `parse_all` between their section and their
    // `End`; only the outermost component's imports and exports matter.
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(|e| InspectError::Malformed(e.message().to_string()))?;
        match payload {
            Payload::Version { encoding: Encoding::Module, .. } if depth == 0 => return Err(InspectError::CoreModule),
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentImportSection(reader) if depth == 0 => {
                for import in reader {
                    let import = import.map_err(|e| InspectError::Malformed(e.message().to_string()))?;
                    check_import(import.name.name)?;
                }
            }
            Payload::ComponentExportSection(reader) if depth == 0 => {
                for export in reader {
                    let export = export.map_err(|e| InspectError::Malformed(e.message().to_string()))?;
                    if let Some(version) = export.name.name.strip_prefix(&format!("{}/check@", contract::PACKAGE)) {
                        contract_version = Some(version.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    let found = contract_version.ok_or(InspectError::NotACheck)?;
    if !compatible(&found) {
        return Err(InspectError::IncompatibleContract { found });
    }
    Ok(Declared { contract_version: found })
}

fn check_import(name: &str) -> Result<(), InspectError> {
    if let Some(rest) = name.strip_prefix(&format!("{}/", contract::PACKAGE)) {
        let version = rest.split_once('@').map(|(_, v)| v).unwrap_or("");
        if !compatible(version) {
            return Err(InspectError::IncompatibleContract { found: version.to_string() });
        }
        return Ok(());
    }
    // Exactly the WASI 0.2 worlds `wasmtime_wasi::p2::add_to_linker_sync` provides (all of
    // them granting nothing); `wasi:http` and friends are not linked.
    const WASI: [&str; 6] =
        ["wasi:cli/", "wasi:io/", "wasi:clocks/", "wasi:filesystem/", "wasi:random/", "wasi:sockets/"];
    if WASI.iter().any(|p| name.starts_with(p)) && name.contains("@0.2.") {
        return Ok(());
    }
    Err(InspectError::ForbiddenImport(name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver_rules() {
        assert!(compatible("0.1.0"));
        assert!(compatible("0.1.7"));
        assert!(!compatible("0.2.0"));
        assert!(!compatible("1.0.0"));
        assert!(!compatible("garbage"));
    }

    #[test]
    fn refuses_non_wasm_and_core_modules() {
        assert_eq!(inspect(b"hello world"), Err(InspectError::NotWasm));
        // The smallest core module: magic + version 1.
        assert_eq!(inspect(b"\0asm\x01\0\0\0"), Err(InspectError::CoreModule));
    }

    #[test]
    fn refuses_unknown_imports() {
        assert_eq!(check_import("wasi:cli/stdout@0.2.6"), Ok(()));
        assert_eq!(check_import("plumbline:audit/estate@0.1.0"), Ok(()));
        assert!(matches!(check_import("acme:net/http@1.0.0"), Err(InspectError::ForbiddenImport(_))));
        assert!(matches!(check_import("wasi:http/outgoing-handler@0.3.0"), Err(InspectError::ForbiddenImport(_))));
        assert!(matches!(check_import("plumbline:audit/estate@0.2.0"), Err(InspectError::IncompatibleContract { .. })));
    }
}
