//! The AMQP side of the RabbitMQ collector: what the AMQP listener of `amqp-url` offers.
//!
//! Two short connections, neither opening a channel:
//! 1. a probe that sends the AMQP 0-9-1 protocol header and reads the server's `connection.start`
//!    (server properties: product, version, cluster name; SASL mechanisms), then closes the socket
//!    before authenticating. For `amqps://` it first completes the TLS handshake (verified against
//!    the system's root certificates) and reads the certificate the server presented. The probe
//!    exists because lapin keeps `connection.start` to itself. The broker may log it as a client
//!    that closed its connection during the handshake.
//! 2. a lapin connection with the configured credentials: the full handshake (`start-ok`,
//!    `tune-ok`, `open` on the URL's vhost), then `connection.close`. No queue is declared and
//!    nothing is consumed or published.

use std::io::{Read, Write};
use std::time::Duration;

use lapin::protocol::{AMQPClass, connection::AMQPMethod};
use lapin::tcp::{TLSConfig, TcpStream};
use lapin::types::AMQPValue;
use lapin::uri::{AMQPScheme, AMQPUri, AMQPUserInfo};
use lapin::{Connection, ConnectionProperties};

use crate::collect::display_url;
use crate::collect::secrets::scrub;
use crate::contract::estate::Certificate;

/// Time for each step: TCP connect, TLS handshake, one read, the lapin handshake.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);
/// AMQP 0-9-1 protocol header.
const PROTOCOL_HEADER: &[u8; 8] = b"AMQP\x00\x00\x09\x01";
/// Largest `connection.start` frame accepted.
const MAX_FRAME: usize = 1 << 20;

/// What the AMQP listener offered.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Handshake {
    pub host: String,
    pub port: u16,
    pub tls: bool,
    pub certificate: Option<Certificate>,
    pub product: Option<String>,
    pub version: Option<String>,
    pub cluster_name: Option<String>,
    /// SASL mechanisms in the server's order.
    pub mechanisms: Vec<String>,
}

/// A parsed `amqp-url`, safe to show.
pub(super) struct Endpoint {
    uri: AMQPUri,
    shown: String,
}

impl Endpoint {
    /// Parses `amqp://` / `amqps://` URLs. The parser's own message echoes the URL, so it is not
    /// passed on.
    pub fn parse(url: &str) -> Result<Endpoint, String> {
        let shown = display_url(url.trim());
        let uri: AMQPUri =
            url.trim().parse().map_err(|_| format!("amqp-url `{shown}` is not an amqp:// or amqps:// URL"))?;
        Ok(Endpoint { uri, shown })
    }
}

/// Probes the listener, then logs in with `username`/`password` and closes. `Err` when the
/// listener could not be probed (nothing known); a refused login is a problem next to a
/// [`Handshake`].
pub(super) async fn handshake(
    endpoint: &Endpoint,
    username: &str,
    password: &str,
) -> Result<(Handshake, Option<String>), String> {
    // The probe and the login both use rustls through the process-wide provider.
    crate::collect::install_crypto_provider();
    let secrets = [password];
    let host = endpoint.uri.authority.host.clone();
    let port = endpoint.uri.authority.port;
    let tls = matches!(endpoint.uri.scheme, AMQPScheme::AMQPS);
    tracing::debug!(target = %endpoint.shown, tls, "probing the AMQP listener");
    let probe_host = host.clone();
    let probed = tokio::task::spawn_blocking(move || probe(&probe_host, port, tls))
        .await
        .map_err(|err| format!("AMQP probe of {} did not finish: {err}", endpoint.shown))?
        .map_err(|reason| scrub(&format!("AMQP probe of {}: {reason}", endpoint.shown), &secrets))?;
    let handshake = Handshake {
        host,
        port,
        tls,
        certificate: probed.certificate,
        product: probed.product,
        version: probed.version,
        cluster_name: probed.cluster_name,
        mechanisms: probed.mechanisms,
    };
    tracing::debug!(version = ?handshake.version, mechanisms = ?handshake.mechanisms, "AMQP listener probed");
    let login = login(endpoint, username, password).await.err().map(|reason| scrub(&reason, &secrets));
    Ok((handshake, login))
}

/// The authenticated handshake through lapin, then `connection.close`.
async fn login(endpoint: &Endpoint, username: &str, password: &str) -> Result<(), String> {
    let mut uri = endpoint.uri.clone();
    uri.authority.userinfo = AMQPUserInfo { username: username.to_string(), password: password.to_string() };
    uri.query.connection_timeout = Some(STEP_TIMEOUT.as_millis() as u64);
    let properties = ConnectionProperties::default().with_connection_name("plumbline audit (read-only)".into());
    let connection = match tokio::time::timeout(STEP_TIMEOUT, Connection::connect_uri(uri, properties)).await {
        Ok(Ok(connection)) => connection,
        Ok(Err(err)) => return Err(format!("AMQP login to {} failed: {err}", endpoint.shown)),
        Err(_) => return Err(format!("AMQP login to {} timed out", endpoint.shown)),
    };
    tracing::debug!(target = %endpoint.shown, "AMQP login accepted");
    match tokio::time::timeout(STEP_TIMEOUT, connection.close(200, "plumbline read-only audit done")).await {
        Ok(Ok(())) => {}
        Ok(Err(err)) => tracing::debug!("closing the AMQP connection: {err}"),
        Err(_) => tracing::debug!("closing the AMQP connection timed out"),
    }
    Ok(())
}

struct Probed {
    certificate: Option<Certificate>,
    product: Option<String>,
    version: Option<String>,
    cluster_name: Option<String>,
    mechanisms: Vec<String>,
}

/// Blocking: connect (and TLS), send the protocol header, read `connection.start`, drop the socket.
fn probe(host: &str, port: u16, tls: bool) -> Result<Probed, String> {
    let stream =
        TcpStream::connect_timeout((host, port), STEP_TIMEOUT).map_err(|err| format!("cannot connect: {err}"))?;
    stream.set_read_timeout(Some(STEP_TIMEOUT)).map_err(|err| err.to_string())?;
    stream.set_write_timeout(Some(STEP_TIMEOUT)).map_err(|err| err.to_string())?;
    let mut stream = if tls {
        stream.into_tls(host, TLSConfig::default()).map_err(|err| match err {
            lapin::tcp::HandshakeError::WouldBlock(_) => "TLS handshake timed out".to_string(),
            lapin::tcp::HandshakeError::Failure(err) => format!("TLS handshake failed: {err}"),
        })?
    } else {
        stream
    };
    let certificate = match &stream {
        TcpStream::Rustls(tls) => {
            let der = tls.conn.peer_certificates().and_then(|chain| chain.first());
            let parsed = der.and_then(|der| parse_certificate(der));
            if der.is_some() && parsed.is_none() {
                tracing::warn!("the AMQP listener's certificate could not be parsed");
            }
            parsed
        }
        _ => None,
    };
    stream.write_all(PROTOCOL_HEADER).and_then(|()| stream.flush()).map_err(|err| format!("cannot send: {err}"))?;
    let mut header = [0u8; 7];
    stream.read_exact(&mut header).map_err(|err| format!("no connection.start from the server: {err}"))?;
    if header.starts_with(b"AMQP") {
        // The server refused our protocol version and answered with the one it speaks.
        let mut last = [0u8; 1];
        let _ = stream.read_exact(&mut last);
        return Err(format!("the server speaks AMQP {}-{}-{}, not 0-9-1", header[5], header[6], last[0]));
    }
    let (frame_type, channel) = (header[0], u16::from_be_bytes([header[1], header[2]]));
    let size = u32::from_be_bytes([header[3], header[4], header[5], header[6]]) as usize;
    if frame_type != 1 || channel != 0 || size > MAX_FRAME {
        return Err("the server's first frame is not an AMQP 0-9-1 connection.start".into());
    }
    let mut payload = vec![0u8; size + 1];
    stream.read_exact(&mut payload).map_err(|err| format!("connection.start cut short: {err}"))?;
    drop(stream);
    if payload.pop() != Some(0xCE) {
        return Err("connection.start frame without its end marker".into());
    }
    let start = match lapin::protocol::parse_class(payload.as_slice()) {
        Ok((_, AMQPClass::Connection(AMQPMethod::Start(start)))) => start,
        Ok(_) => return Err("the server's first method is not connection.start".into()),
        Err(err) => return Err(format!("malformed connection.start: {err}")),
    };
    let property = |key: &str| match start.server_properties.inner().get(key) {
        Some(AMQPValue::LongString(value)) => Some(value.to_string()),
        Some(AMQPValue::ShortString(value)) => Some(value.as_str().to_string()),
        _ => None,
    };
    Ok(Probed {
        certificate,
        product: property("product"),
        version: property("version"),
        cluster_name: property("cluster_name"),
        mechanisms: start.mechanisms.to_string().split_whitespace().map(str::to_string).collect(),
    })
}

// ---------------------------------------------------------------- certificates

/// Subject, issuer and expiry of a DER X.509 certificate; `None` when it does not parse. Names
/// are written as in RFC 4514 (most specific first: `CN=host,O=Acme GmbH,C=DE`).
pub(super) fn parse_certificate(der: &[u8]) -> Option<Certificate> {
    let (0x30, certificate, _) = tlv(der)? else { return None };
    let (0x30, tbs, _) = tlv(certificate)? else { return None };
    let mut rest = tbs;
    if rest.first() == Some(&0xA0) {
        rest = tlv(rest)?.2; // [0] version
    }
    let (0x02, _, rest) = tlv(rest)? else { return None }; // serial number
    let (0x30, _, rest) = tlv(rest)? else { return None }; // signature algorithm
    let (0x30, issuer, rest) = tlv(rest)? else { return None };
    let (0x30, validity, rest) = tlv(rest)? else { return None };
    let (0x30, subject, _) = tlv(rest)? else { return None };
    let (_, _, after_not_before) = tlv(validity)?;
    let (tag, not_after, _) = tlv(after_not_before)?;
    Some(Certificate { subject: name(subject)?, issuer: name(issuer)?, not_after: time(tag, not_after)? })
}

/// One DER element: `(tag, contents, rest)`.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let length = if first < 0x80 {
        usize::from(first)
    } else {
        let count = usize::from(first & 0x7F);
        if count == 0 || count > 4 {
            return None;
        }
        let (bytes, after) = rest.split_at_checked(count)?;
        rest = after;
        bytes.iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
    };
    let (contents, rest) = rest.split_at_checked(length)?;
    Some((tag, contents, rest))
}

/// An X.501 Name (RDNSequence contents) in RFC 4514 form.
fn name(mut rdns: &[u8]) -> Option<String> {
    let mut parts = Vec::new();
    while !rdns.is_empty() {
        let (0x31, mut set, rest) = tlv(rdns)? else { return None };
        rdns = rest;
        let mut attributes = Vec::new();
        while !set.is_empty() {
            let (0x30, attribute, rest) = tlv(set)? else { return None };
            set = rest;
            let (0x06, oid, value) = tlv(attribute)? else { return None };
            let (tag, value, _) = tlv(value)?;
            attributes.push(format!("{}={}", attribute_name(oid), escape(&string(tag, value))));
        }
        parts.push(attributes.join("+"));
    }
    parts.reverse();
    Some(parts.join(","))
}

fn attribute_name(oid: &[u8]) -> String {
    match oid {
        [0x55, 0x04, 0x03] => "CN".into(),
        [0x55, 0x04, 0x06] => "C".into(),
        [0x55, 0x04, 0x07] => "L".into(),
        [0x55, 0x04, 0x08] => "ST".into(),
        [0x55, 0x04, 0x09] => "STREET".into(),
        [0x55, 0x04, 0x0A] => "O".into(),
        [0x55, 0x04, 0x0B] => "OU".into(),
        [0x55, 0x04, 0x05] => "serialNumber".into(),
        [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x01] => "emailAddress".into(),
        [0x09, 0x92, 0x26, 0x89, 0x93, 0xF2, 0x2C, 0x64, 0x01, 0x19] => "DC".into(),
        [0x09, 0x92, 0x26, 0x89, 0x93, 0xF2, 0x2C, 0x64, 0x01, 0x01] => "UID".into(),
        _ => dotted(oid),
    }
}

fn dotted(oid: &[u8]) -> String {
    let mut arcs: Vec<u64> = Vec::new();
    let mut value: u64 = 0;
    for &byte in oid {
        value = (value << 7) | u64::from(byte & 0x7F);
        if byte & 0x80 == 0 {
            if arcs.is_empty() {
                let first = (value / 40).min(2);
                arcs.push(first);
                arcs.push(value - first * 40);
            } else {
                arcs.push(value);
            }
            value = 0;
        }
    }
    arcs.iter().map(u64::to_string).collect::<Vec<_>>().join(".")
}

/// Directory string contents as text; BMPString is UTF-16, the others are read as UTF-8.
fn string(tag: u8, value: &[u8]) -> String {
    match tag {
        0x1E => {
            let units: Vec<u16> = value.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
            String::from_utf16_lossy(&units)
        }
        0x0C | 0x13 | 0x14 | 0x16 | 0x1A | 0x1C => String::from_utf8_lossy(value).into_owned(),
        _ => format!("#{}", hex::encode(value)),
    }
}

fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for (i, c) in value.chars().enumerate() {
        let leading = i == 0 && (c == ' ' || c == '#');
        if leading || matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// UTCTime (`YYMMDDHHMMSSZ`, 1950–2049) or GeneralizedTime (`YYYYMMDDHHMMSSZ`) as Unix seconds.
fn time(tag: u8, value: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(value).ok()?.strip_suffix('Z')?;
    let digits = |range: std::ops::Range<usize>| text.get(range)?.parse::<i64>().ok();
    let (year, rest) = match tag {
        0x17 if text.len() == 12 => {
            let yy = digits(0..2)?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, 2)
        }
        0x18 if text.len() == 14 => (digits(0..4)?, 4),
        _ => return None,
    };
    let month = digits(rest..rest + 2)?;
    let day = digits(rest + 2..rest + 4)?;
    let (hour, minute, second) =
        (digits(rest + 4..rest + 6)?, digits(rest + 6..rest + 8)?, digits(rest + 8..rest + 10)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `openssl req`/`x509 -req`: a leaf for `O=Acme GmbH, CN=rmq-test.acme.internal` signed by
    /// `C=DE, O=Acme GmbH, CN=Acme Test CA`, notAfter 2027-12-30 19:49:38 UTC (UTCTime).
    const LEAF: &str = "308201683082010e02147f48c1e055c7c037a546252a5a24dd0b2a7435b5300a06082a8648ce3d0403023038310b300906035504061302444531123010060355040a0c0941636d6520476d62483115301306035504030c0c41636d652054657374204341301e170d3236313132353139343933385a170d3237313233303139343933385a303531123010060355040a0c0941636d6520476d6248311f301d06035504030c16726d712d746573742e61636d652e696e7465726e616c3059301306072a8648ce3d020106082a8648ce3d03010703420004dec2cc9ea34d20f802af0723d86c4114be26feb40465ad4a384bd3a5a35f76335338c0ad7431912489183d14c095c5b4ea95b502563bf61638d4d8f7e5ceeb17300a06082a8648ce3d040302034800304502200be16f7172deb95693a9874678052cad2f6b591b7de0fd60c3edd7efa0af2964022100f1f6dc55f5428fc04866b3d3d78f04543ab266dfa7237ca3df9cf8ad95c6d459";
    /// Self-signed v3 certificate `CN=far.example`, notAfter 2054-04-12 19:49:41 UTC
    /// (GeneralizedTime).
    const FAR: &str = "3082018230820129a00302010202142c0722374f27b56ec30a1b9f021331dd2790772b300a06082a8648ce3d04030230163114301206035504030c0b6661722e6578616d706c653020170d3236313132353139343934315a180f32303534303431323139343934315a30163114301206035504030c0b6661722e6578616d706c653059301306072a8648ce3d020106082a8648ce3d03010703420004dec2cc9ea34d20f802af0723d86c4114be26feb40465ad4a384bd3a5a35f76335338c0ad7431912489183d14c095c5b4ea95b502563bf61638d4d8f7e5ceeb17a3533051301d0603551d0e04160414b830edf237036d65baac31d79bbe8609cf7b5732301f0603551d23041830168014b830edf237036d65baac31d79bbe8609cf7b5732300f0603551d130101ff040530030101ff300a06082a8648ce3d04030203470030440220183f15fbf8e175e38aeff9900bcbfbc7fb5ef9a62214727da3233d03ce5c475f0220646477bda089baa1963bef2d1aa07577fa71d1a8dcd6bba60286258c0cf3e4b6";

    #[test]
    fn reads_subject_issuer_and_expiry() {
        let der = hex::decode(LEAF).expect("test vector");
        let cert = parse_certificate(&der).expect("parses");
        assert_eq!(cert.subject, "CN=rmq-test.acme.internal,O=Acme GmbH");
        assert_eq!(cert.issuer, "CN=Acme Test CA,O=Acme GmbH,C=DE");
        assert_eq!(cert.not_after, 1_830_196_178);

        let der = hex::decode(FAR).expect("test vector");
        let cert = parse_certificate(&der).expect("parses");
        assert_eq!((cert.subject.as_str(), cert.issuer.as_str()), ("CN=far.example", "CN=far.example"));
        assert_eq!(cert.not_after, 2_659_636_181);
    }

    #[test]
    fn garbage_and_truncation_do_not_parse() {
        let der = hex::decode(LEAF).expect("test vector");
        for cut in [0, 1, 10, 100, 200, der.len() - 1] {
            // A truncated outer length makes every prefix fail rather than read out of bounds.
            let _ = parse_certificate(&der[..cut]);
        }
        assert_eq!(parse_certificate(&der[..200]), None);
        assert_eq!(parse_certificate(b"not a certificate"), None);
        assert_eq!(parse_certificate(&[0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]), None);
    }

    #[test]
    fn dates_and_names() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(time(0x17, b"491231235959Z"), Some(2_524_607_999));
        assert_eq!(time(0x17, b"500101000000Z"), Some(-631_152_000));
        assert_eq!(time(0x17, b"501301000000Z"), None);
        assert_eq!(dotted(&[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D]), "1.2.840.113549");
        assert_eq!(escape("Acme, Inc+"), "Acme\\, Inc\\+");
    }

    #[test]
    fn endpoint_messages_do_not_echo_a_password() {
        let err = Endpoint::parse("amqp://app:s3cret-canary@host:notaport/%2f").err().expect("invalid");
        assert!(!err.contains("s3cret-canary"), "{err}");
        let ok = Endpoint::parse("amqps://app:s3cret-canary@rmq.example:5671/%2f").expect("valid");
        assert!(!ok.shown.contains("s3cret-canary"), "{}", ok.shown);
    }
}
