//! Packs from anywhere: an untrusted `.tar.gz` through `PackSource::open` and `verify`, a
//! manifest through `Manifest::parse`, and signature and key files through their parsers. None
//! may panic; nothing the fuzzer makes may verify as signed by the trusted key (it is made fresh
//! in each process, so no input can carry a valid signature); and a signature made by that key
//! verifies its manifest and nothing else.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use plumbline::pack::manifest::{HostVersions, Manifest};
use plumbline::pack::sign::{PublicKey, SecretKey, Signature};
use plumbline::pack::trust::Trusted;
use plumbline::pack::{PackSource, Trust, Unsigned, verify};

struct Fixture {
    secret: SecretKey,
    trust: Trust,
    archive: PathBuf,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let secret = SecretKey::generate("fuzz-vendor").expect("a key");
        let trust = Trust::from_keys(vec![Trusted { key: secret.public(), from: PathBuf::from("fuzz") }]);
        let archive = std::env::temp_dir().join(format!("plumbline-fuzz-pack-{}.tar.gz", std::process::id()));
        Fixture { secret, trust, archive }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let fixture = fixture();
    match mode % 4 {
        // An archive as `plumbline pack install FILE` reads it.
        0 => {
            if std::fs::write(&fixture.archive, rest).is_err() {
                return;
            }
            let Ok(source) = PackSource::open(&fixture.archive) else { return };
            for unsigned in [Unsigned::Allow, Unsigned::Refuse] {
                if let Ok(pack) = verify(&source, &fixture.trust, unsigned) {
                    assert!(pack.signature.is_none(), "a fuzzed pack verified as signed by the trusted key");
                    assert_eq!(unsigned, Unsigned::Allow, "an unsigned pack passed without --allow-unsigned");
                }
            }
        }
        // A manifest, then whether it fits this host.
        1 => {
            if let Ok(manifest) = Manifest::parse(rest) {
                let _ = manifest.fits(HostVersions::current());
            }
        }
        // Signature and key files.
        2 => {
            let half = rest.len() / 2;
            let _ = PublicKey::parse(&rest[..half]);
            if let Ok(signature) = Signature::parse(rest) {
                assert!(!fixture.secret.public().verifies(&rest[..half], &signature), "forged signature");
                let again = Signature::parse(signature.to_file_text().as_bytes()).expect("a signature re-reads");
                assert_eq!(again, signature);
            }
        }
        // A real signature over the first half verifies it, and not the other half.
        _ => {
            let (manifest, other) = rest.split_at(rest.len() / 2);
            let signature = fixture.secret.sign(manifest);
            let public = fixture.secret.public();
            assert!(public.verifies(manifest, &signature));
            assert_eq!(public.verifies(other, &signature), other == manifest);
        }
    }
});
