//! Registry side of `security`: webhooks that accept unauthenticated requests
//! (`webhook-unauthenticated`: auth `none` or empty) and webhooks served over plain HTTP
//! (`webhook-plain-http`).

use plumbline_sdk::prelude::*;

use crate::{WEBHOOK_AUTH, WEBHOOK_HTTP};

pub fn audit(audit: &mut Audit<'_>, registry: &[Integration]) {
    for integration in registry {
        let Some(webhook) = &integration.webhook else {
            continue;
        };
        audit.evaluated(1);
        let subject = || Subject::new("registry", "integration", &integration.id);
        let auth = webhook.auth.trim();
        if auth.is_empty() || auth.eq_ignore_ascii_case("none") {
            audit.finding(
                WEBHOOK_AUTH,
                subject(),
                format!(
                    "Webhook `{}` of integration `{}` accepts requests without authentication: anyone who learns the URL can inject events that {} processes as if {} sent them. Verify an HMAC signature or require mTLS.",
                    webhook.url, integration.id, integration.target_system, integration.source_system
                ),
                [
                    ("integration", integration.id.clone()),
                    ("url", webhook.url.clone()),
                    ("auth", if auth.is_empty() { "unset" } else { auth }.to_string()),
                ],
            );
        }
        if webhook.url.trim().to_ascii_lowercase().starts_with("http://") {
            audit.finding(
                WEBHOOK_HTTP,
                subject(),
                format!(
                    "Webhook `{}` of integration `{}` is served over plain HTTP: event payloads{} travel unencrypted. Serve it over HTTPS only.",
                    webhook.url,
                    integration.id,
                    if auth.is_empty() || auth.eq_ignore_ascii_case("none") {
                        ""
                    } else {
                        " and authentication headers"
                    }
                ),
                [
                    ("integration", integration.id.clone()),
                    ("url", webhook.url.clone()),
                    ("auth", if auth.is_empty() { "unset" } else { auth }.to_string()),
                ],
            );
        }
    }
}
