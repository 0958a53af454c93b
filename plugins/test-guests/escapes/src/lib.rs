//! Hostile guest: every text it gives the host carries terminal escape sequences and invisible
//! controls — its title, question and rules (titles, descriptions, remediation with Markdown
//! images, raw HTML and `javascript:` links, references), its findings (rule ids, subjects,
//! messages, evidence), its notes and what it prints. No report format and no terminal may get
//! any of it raw (tests/e2e/escapes.rs).

use plumbline_sdk::prelude::*;

/// A window title (OSC 0), erase line (CSI 2K), a carriage return that would draw a fake
/// verdict over the line, backspace, NUL, an 8-bit CSI (U+009B), a bidi override, a clipboard
/// write (OSC 52), BEL, a DCS string, a line separator and SGR that hides text.
pub const EVIL: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2K\r\u{8}\0\u{9b}31m\u{202e}fdp.exe\u{1b}]52;c;aGk=\u{7}\
                        \u{1b}P1$r\u{1b}\\\u{2028}\u{1b}[8mhidden\u{1b}[0m\u{7f}\u{2066}\r[PASSED]";

/// The one rule; its id carries an escape sequence too (only the `hostile-escapes/` prefix is
/// required).
pub const RULE: &str = "hostile-escapes/evil\u{1b}[31m-rule";

pub struct Escapes;

fn evil(label: &str) -> String {
    format!("{label} {EVIL}")
}

impl Check for Escapes {
    fn info() -> Info {
        Info::new("hostile-escapes", &evil("title"), &evil("question"))
            .reads(Section::Registry)
            .param("evil-param", evil("default").as_str(), &evil("parameter"))
            .rule(
                RuleSpec::new(RULE, Severity::Critical, &evil("rule title"))
                    .description(&evil("description"))
                    .remediation(&format!(
                        "{} ![x](https://evil.example/p.png) <img src=x onerror=alert(1)> [click](javascript:alert(1))",
                        evil("remediation")
                    ))
                    .reference(&evil("https://evil.example/ref"))
                    .reference("javascript:alert(1)")
                    .reference("https://example.com/docs"),
            )
    }

    fn run(audit: &mut Audit<'_>) {
        println!("{}", evil("stdout"));
        eprintln!("{}", evil("stderr"));
        let registry = audit.registry();
        audit.evaluated(registry.len().max(1));
        for n in 0..2 {
            audit.finding(
                RULE,
                Subject::new(evil("source"), &evil("kind"), evil(&format!("id{n}"))),
                evil("message"),
                [(evil("key"), evil("value")), ("file".to_string(), evil("/etc/app.yml"))],
            );
        }
        audit.note(evil("note"));
    }
}

plumbline_sdk::export_check!(Escapes);
