//! Config side of `security` (`plaintext-secret`): entries whose secret was written in clear
//! (`secret.plaintext = true`). The host has already replaced the value with `<redacted>`; this
//! module reports file, line, key and kind of secret, and never puts the value in a finding.

use plumbline_sdk::prelude::*;

use crate::PLAINTEXT_SECRET;

pub fn audit(audit: &mut Audit<'_>, files: &[ConfigFile]) {
    for file in files {
        for entry in &file.entries {
            let Some(secret) = &entry.secret else {
                continue;
            };
            audit.evaluated(1);
            if !secret.plaintext {
                continue;
            }
            audit.finding(
                PLAINTEXT_SECRET,
                Subject::new(&file.path, "config-key", &entry.key),
                format!(
                    "{}:{} writes a {} in clear text in `{}`: anyone who can read the file (repository, image, backup) can use it. Replace it with a reference such as ${{ENV_VAR}} or a secrets-manager lookup, and rotate it.",
                    file.path, entry.line, secret.kind, entry.key
                ),
                [
                    ("file", file.path.clone()),
                    ("line", entry.line.to_string()),
                    ("key", entry.key.clone()),
                    ("secret_kind", secret.kind.clone()),
                ],
            );
        }
    }
}
