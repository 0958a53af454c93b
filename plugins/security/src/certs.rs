//! Certificate expiry (`certificate-expiry`) for the listeners of Kafka brokers and RabbitMQ
//! nodes: a certificate must stay valid `cert-min-days` after `collected_at`; one that has
//! already expired is critical. Also the small date formatting the messages need (checks have no
//! date library and no clock).

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

/// `YYYY-MM-DD` (UTC) of a Unix time.
pub fn date(unix: i64) -> String {
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = unix.div_euclid(DAY) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}
