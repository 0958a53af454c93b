//! Hostile guest: opens a TCP connection to 127.0.0.1:`port` (default 5432, PostgreSQL), binds a
//! UDP socket and resolves a name. The sandbox allows no sockets and no name lookup, so WASI
//! refuses each; the check notes the refusals ("denied …") and would report a finding if any
//! worked.

use std::net::{TcpStream, ToSocketAddrs, UdpSocket};

use plumbline_sdk::prelude::*;

pub struct Net;

const RULE: &str = "hostile-net/escaped";

impl Check for Net {
    fn info() -> Info {
        Info::new("hostile-net", "Opens sockets", "Is the network closed to checks?")
            .rule(RuleSpec::new(RULE, Severity::Critical, "A check reached the network"))
            .param("port", 5432i64, "Port on 127.0.0.1 to connect to.")
    }
    fn run(audit: &mut Audit<'_>) {
        let port = u16::try_from(audit.params().i64("port")).unwrap_or(5432);
        let attempts: [(String, std::io::Result<()>); 3] = [
            (format!("tcp connect 127.0.0.1:{port}"), TcpStream::connect(("127.0.0.1", port)).map(drop)),
            ("udp bind 127.0.0.1:0".into(), UdpSocket::bind("127.0.0.1:0").map(drop)),
            ("resolve localhost".into(), ("localhost", port).to_socket_addrs().map(drop)),
        ];
        for (what, result) in attempts {
            match result {
                Ok(()) => audit.finding(
                    RULE,
                    Subject::new("sandbox", "socket", what.clone()),
                    format!("{what} succeeded"),
                    Vec::<(String, String)>::new(),
                ),
                Err(err) => audit.note(format!("{what}: denied ({:?}: {err})", err.kind())),
            }
        }
    }
}

plumbline_sdk::export_check!(Net);
