//! Webhook side of `acks`: registry entries whose endpoint answers before processing.

use plumbline_sdk::prelude::*;

use crate::WEBHOOK_EARLY;

pub fn audit(audit: &mut Audit<'_>, registry: &[Integration]) {
    for integration in registry {
        let Some(webhook) = &integration.webhook else {
            continue;
        };
        audit.evaluated(1);
        if webhook.responds != "before-processing" {
            continue;
        }
        audit.finding(
            WEBHOOK_EARLY,
            Subject::new("registry", "integration", &integration.id),
            format!(
                "Webhook `{}` of integration `{}` answers 2xx before processing: if processing fails, {} will not retry and the event is lost.",
                webhook.url, integration.id, integration.source_system
            ),
            [
                ("integration", integration.id.clone()),
                ("url", webhook.url.clone()),
                ("responds", webhook.responds.clone()),
            ],
        );
    }
}
