//! Downstream throttling: `backpressure/downstream-throttling` on the `http-429-rate` and
//! `http-503-rate` signals.
//!
//! Each series is judged by its **maximum over the window**, not its last sample: the seed looks
//! for "a sudden spike" of 429/503, and throttling that comes and goes with the daily peak returns
//! with it. The last value is given too.

use plumbline_sdk::prelude::*;

use crate::{DOWNSTREAM_THROTTLING, num, series_id};

const THROTTLE_SIGNALS: [(&str, &str); 2] =
    [("http-429-rate", "429 Too Many Requests"), ("http-503-rate", "503 Service Unavailable")];

pub fn audit_throttling(audit: &mut Audit<'_>, servers: &[PrometheusServer]) {
    let limit = audit.params().f64("throttle-rate");
    for (signal, status) in THROTTLE_SIGNALS {
        for (server, s) in series(servers, signal) {
            audit.evaluated(1);
            let (Some(max), Some(last)) = (s.max(), s.last()) else { continue };
            if max <= limit {
                continue;
            }
            let who = match (s.label("integration"), s.label("peer")) {
                (Some(i), Some(p)) => format!("`{i}` calling `{p}`"),
                (Some(i), None) => format!("`{i}`"),
                _ => format!("series `{}`", s.label_text()),
            };
            audit.finding(
                DOWNSTREAM_THROTTLING,
                Subject::new(&server.source, "series", series_id(signal, s)),
                format!(
                    "{who} gets {status} on up to {} % of calls (max over the window; last {} %), above {} %: the integration sends more than its dependency accepts.",
                    num(max * 100.0),
                    num(last * 100.0),
                    num(limit * 100.0)
                ),
                [
                    ("signal", signal.to_string()),
                    ("labels", s.label_text()),
                    ("rate_max", num(max)),
                    ("rate_last", num(last)),
                    ("throttle_rate", num(limit)),
                ],
            );
        }
    }
}
