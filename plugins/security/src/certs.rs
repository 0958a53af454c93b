//! Certificate expiry (`certificate-expiry`) for the listeners of Kafka brokers and RabbitMQ
//! nodes: a certificate must stay valid `cert-min-days` after `collected_at`; one that has
//! already expired is critical.

use plumbline_sdk::helpers::utc_date as date;
use plumbline_sdk::prelude::*;

use crate::CERT_EXPIRY;

const DAY: i64 = 86_400;

/// Judges the certificate `listener` presented, if any. `subject` names the listener.
pub fn check(audit: &mut Audit<'_>, subject: Subject, what: &str, listener: &Listener, now: i64, min_days: i64) {
    let Some(cert) = &listener.certificate else {
        return;
    };
    let left = cert.not_after - now;
    if left >= min_days.saturating_mul(DAY) {
        return;
    }
    let evidence = vec![
        ("listener", format!("{} {}:{}", listener.name, listener.host, listener.port)),
        ("certificate_subject", cert.subject.clone()),
        ("issuer", cert.issuer.clone()),
        ("not_after", format!("{} ({})", cert.not_after, date(cert.not_after))),
        ("days_left", format!("{:.1}", left as f64 / DAY as f64)),
        ("min_days", min_days.to_string()),
    ];
    if left <= 0 {
        audit.finding_with_severity(
            CERT_EXPIRY,
            Severity::Critical,
            subject,
            format!(
                "The certificate of {what} (`{}`) expired on {}, {} days before collection: TLS clients refuse to connect. Renew it now.",
                cert.subject,
                date(cert.not_after),
                (-left) / DAY
            ),
            evidence,
        );
    } else {
        audit.finding(
            CERT_EXPIRY,
            subject,
            format!(
                "The certificate of {what} (`{}`) expires on {}, in {} days — less than the {min_days} days the review requires. Renew it before clients start refusing the connection.",
                cert.subject,
                date(cert.not_after),
                left / DAY
            ),
            evidence,
        );
    }
}
