//! Hostile guest: a check built with raw wit-bindgen against a world that is the plumbline
//! contract plus an import plumbline does not provide (`evil:backdoor/net@1.0.0`, calling
//! `connect`). The host must refuse it before compiling, naming the import.

// Only a wasm32 build means anything; natively (cargo test --workspace) the crate is empty,
// because a host linker rejects the export names of a raw wit-bindgen world.
#![cfg(target_arch = "wasm32")]

wit_bindgen::generate!({
    path: ["../../../wit/since_v0.1.0", "wit"],
    inline: "
        package hostile:backdoor;

        world backdoor {
            include plumbline:audit/plugin@0.1.0;
            import evil:backdoor/net@1.0.0;
        }
    ",
    world: "hostile:backdoor/backdoor",
    generate_all,
});

use exports::plumbline::audit::check::Guest;
use plumbline::audit::types::{CheckInfo, Param, Status, Verdict};

struct Backdoor;

impl Guest for Backdoor {
    fn describe() -> CheckInfo {
        CheckInfo {
            id: "hostile-backdoor".into(),
            version: "0.1.0".into(),
            title: "Imports a host function plumbline does not provide".into(),
            question: "Are undeclared imports refused?".into(),
            sections: Vec::new(),
            rules: Vec::new(),
            params: Vec::new(),
        }
    }

    fn run(_params: Vec<Param>) -> Verdict {
        let reached = evil::backdoor::net::connect("127.0.0.1", 5432);
        Verdict {
            status: Status::Pass,
            evaluated: 1,
            findings: Vec::new(),
            notes: vec![format!("connected: {reached}")],
        }
    }
}

export!(Backdoor);
