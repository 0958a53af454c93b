//! Untrusted text made safe to show. Everything a check says (ids, titles, messages, evidence,
//! notes, remediation, references, errors) and everything read from an estate (resource names,
//! config keys and values, source errors, origins) may carry terminal escape sequences, carriage
//! returns, bidi overrides or other invisible controls. This module owns the one rule every
//! human-readable renderer and every output edge applies:
//!
//! - C0 controls (NUL…US, including ESC, BEL, CR, backspace), DEL, C1 controls (U+0080–U+009F,
//!   including the 8-bit CSI U+009B), the bidi controls (U+061C, U+200E, U+200F, U+202A–U+202E,
//!   U+2066–U+2069) and U+2028/U+2029 are never written raw. They are shown as visible escapes
//!   (`\x1b`, `\r`, `\u202e`), so an escape sequence (CSI, OSC, DCS, …) loses the byte that
//!   starts it and an auditor sees that the name is hostile. The `\uXXXX` form is also a valid
//!   JSON escape, so the output filter keeps a JSON document valid and its strings unchanged.
//! - In a one-line field ([`Line`], [`line`]) a line feed or tab becomes a space; in a block
//!   ([`Block`], [`block`]) line feeds stay and tabs become spaces.
//! - [`output`] is the last filter before stdout, stderr or a report file: it lets through only
//!   line feeds and, when colour is wanted, plumbline's own SGR sequences (`ESC [ <digits;> m`).
//! - [`to_json_pretty`] writes JSON whose strings decode to exactly the original text, with the
//!   characters above that serde_json leaves raw (DEL, C1, bidi, U+2028/U+2029) as `\uXXXX`.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::io;

/// How line feeds and tabs in untrusted text are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One line: line feeds and tabs become spaces.
    Line,
    /// Several lines: line feeds stay, tabs become spaces.
    Block,
}

/// True for a character that must never reach a terminal or a report raw.
pub fn is_unsafe(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{61c}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// The visible escape of an unsafe character: `\r`, `\n`, `\t`, `\x1b` for the other C0
/// controls, `\u009b` (JSON's form) for DEL and above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Escaped(pub char);

impl fmt::Display for Escaped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            '\r' => f.write_str("\\r"),
            '\n' => f.write_str("\\n"),
            '\t' => f.write_str("\\t"),
            c if (c as u32) < 0x20 => write!(f, "\\x{:02x}", c as u32),
            c => write!(f, "\\u{:04x}", c as u32),
        }
    }
}

/// What `c` becomes in `mode`: `None` when it is safe as it is.
pub fn replacement(c: char, mode: Mode) -> Option<Replacement> {
    match c {
        '\t' => Some(Replacement::Space),
        '\n' if mode == Mode::Line => Some(Replacement::Space),
        '\n' => None,
        c if is_unsafe(c) => Some(Replacement::Escape(Escaped(c))),
        _ => None,
    }
}

/// What an unsafe character is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replacement {
    Space,
    Escape(Escaped),
}

impl fmt::Display for Replacement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Replacement::Space => f.write_char(' '),
            Replacement::Escape(e) => e.fmt(f),
        }
    }
}

/// Writes `text` neutralised in `mode` to `out`, in runs between the characters it replaces.
fn write_neutral(out: &mut impl fmt::Write, text: &str, mode: Mode) -> fmt::Result {
    let mut rest = text;
    while let Some((at, c, with)) = rest.char_indices().find_map(|(at, c)| replacement(c, mode).map(|r| (at, c, r))) {
        out.write_str(&rest[..at])?;
        write!(out, "{with}")?;
        rest = &rest[at + c.len_utf8()..];
    }
    out.write_str(rest)
}

fn neutral(text: &str, mode: Mode) -> Cow<'_, str> {
    if !text.chars().any(|c| replacement(c, mode).is_some()) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let _ = write_neutral(&mut out, text, mode);
    Cow::Owned(out)
}

/// Untrusted text for a one-line field, neutralised as it is formatted (no allocation unless a
/// width or precision is asked for).
#[derive(Debug, Clone, Copy)]
pub struct Line<'a>(pub &'a str);

/// Untrusted text that may span lines, neutralised as it is formatted.
#[derive(Debug, Clone, Copy)]
pub struct Block<'a>(pub &'a str);

fn display(text: &str, mode: Mode, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    if f.width().is_some() || f.precision().is_some() {
        f.pad(&neutral(text, mode))
    } else {
        write_neutral(f, text, mode)
    }
}

impl fmt::Display for Line<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        display(self.0, Mode::Line, f)
    }
}

impl fmt::Display for Block<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        display(self.0, Mode::Block, f)
    }
}

/// `text` for a one-line field; borrowed when nothing needed replacing.
pub fn line(text: &str) -> Cow<'_, str> {
    neutral(text, Mode::Line)
}

/// `text` that may span lines; borrowed when nothing needed replacing.
pub fn block(text: &str) -> Cow<'_, str> {
    neutral(text, Mode::Block)
}

/// The last filter before a terminal, a log or a report file: line feeds stay, plumbline's own
/// SGR sequences (`ESC [ <digits and ;> m`) stay when `colour` is set and are dropped otherwise,
/// and every other unsafe character (tabs too) is escaped visibly.
pub fn output(text: &str, colour: bool) -> Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && is_unsafe(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(at) = rest.find(|c: char| c != '\n' && is_unsafe(c)) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if let Some(len) = sgr_len(tail) {
            if colour {
                out.push_str(&tail[..len]);
            }
            rest = &tail[len..];
            continue;
        }
        let Some(c) = tail.chars().next() else { break };
        let _ = write!(out, "{}", Escaped(c));
        rest = &tail[c.len_utf8()..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// The length of the SGR sequence `text` starts with (`ESC [ 1;31 m`), if it starts with one.
fn sgr_len(text: &str) -> Option<usize> {
    let params = text.strip_prefix("\u{1b}[")?;
    let digits = params.bytes().take_while(|b| b.is_ascii_digit() || *b == b';').count();
    (params.as_bytes().get(digits) == Some(&b'm')).then_some(2 + digits + 1)
}

/// A `std::io::Write` adapter applying [`output`] to each write, for a log stream: each write
/// is taken as whole text (tracing writes one formatted event at a time).
pub struct OutputWriter<W> {
    inner: W,
    colour: bool,
}

impl<W: io::Write> OutputWriter<W> {
    pub fn new(inner: W, colour: bool) -> Self {
        OutputWriter { inner, colour }
    }
}

impl<W: io::Write> io::Write for OutputWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.inner.write_all(output(&text, self.colour).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Pretty JSON (as `serde_json::to_string_pretty`) whose strings decode to exactly the original
/// text, with DEL, C1, bidi controls and U+2028/U+2029 written as `\uXXXX` escapes rather than
/// raw (serde_json escapes only the C0 controls, `"` and `\`).
pub fn to_json_pretty<T: serde::Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    let mut bytes = Vec::with_capacity(4096);
    let mut serializer = serde_json::Serializer::with_formatter(&mut bytes, JsonFormatter::default());
    value.serialize(&mut serializer)?;
    // serde_json writes UTF-8 only; the lossy conversion never replaces anything.
    Ok(String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// serde_json's pretty formatter, with the unsafe characters of string fragments escaped.
#[derive(Default)]
struct JsonFormatter {
    pretty: serde_json::ser::PrettyFormatter<'static>,
}

impl serde_json::ser::Formatter for JsonFormatter {
    fn write_string_fragment<W: ?Sized + io::Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        let mut rest = fragment;
        while let Some(at) = rest.find(is_unsafe) {
            writer.write_all(&rest.as_bytes()[..at])?;
            let c = rest[at..].chars().next().unwrap_or('\u{fffd}');
            // Both UTF-16 halves are never needed: every unsafe character is in the BMP.
            write!(writer, "\\u{:04x}", c as u32)?;
            rest = &rest[at + c.len_utf8()..];
        }
        writer.write_all(rest.as_bytes())
    }

    fn begin_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.pretty.begin_array(writer)
    }
    fn end_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.pretty.end_array(writer)
    }
    fn begin_array_value<W: ?Sized + io::Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        self.pretty.begin_array_value(writer, first)
    }
    fn end_array_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.pretty.end_array_value(writer)
    }
    fn begin_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.pretty.begin_object(writer)
    }
    fn end_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.pretty.end_object(writer)
    }
    fn begin_object_key<W: ?Sized + io::Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        self.pretty.begin_object_key(writer, first)
    }
    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.pretty.begin_object_value(writer)
    }
    fn end_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.pretty.end_object_value(writer)
    }
}

/// The hostile strings the renderers' tests carry, and the check that none got through raw.
#[cfg(test)]
pub(crate) mod hostile {
    /// A title change (OSC 0), erase line (CSI), CR, backspace, NUL, 8-bit CSI, a bidi override
    /// and a clipboard write (OSC 52).
    pub const TEXT: &str = "evil\u{1b}]0;pwned\u{7}\u{1b}[2K\r\u{8}\0\u{9b}31m\u{202e}gpj.exe\u{1b}]52;c;aGk=\u{7}";

    /// Panics if `output` holds an unsafe character other than a line feed (and, with
    /// `sgr`, the SGR sequences plumbline writes itself).
    #[track_caller]
    pub fn assert_clean(what: &str, output: &str, sgr: bool) {
        let mut rest = output;
        while let Some(at) = rest.find(|c: char| c != '\n' && super::is_unsafe(c)) {
            let tail = &rest[at..];
            match super::sgr_len(tail) {
                Some(len) if sgr => rest = &tail[len..],
                _ => {
                    let shown: String = output[..output.len() - tail.len()].chars().rev().take(80).collect();
                    let shown: String = shown.chars().rev().collect();
                    panic!("{what}: raw {:?} after {shown:?}", tail.chars().next().unwrap_or(' '));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_letters_and_emoji_pass_unchanged_and_borrowed() {
        for text in ["plain text", "Grüße, naïve café", "日本語のキュー", "🔴 family 👨‍👩‍👧 flag 🇩🇪", "C:\\path\\x1b", ""]
        {
            assert!(matches!(line(text), Cow::Borrowed(t) if t == text), "{text}");
            assert!(matches!(block(text), Cow::Borrowed(t) if t == text), "{text}");
            assert!(matches!(output(text, true), Cow::Borrowed(t) if t == text), "{text}");
            assert_eq!(Line(text).to_string(), text);
        }
    }

    #[test]
    fn escape_sequences_lose_their_introducer() {
        assert_eq!(line("a\u{1b}]0;pwned\u{7}b"), "a\\x1b]0;pwned\\x07b");
        assert_eq!(line("\u{1b}[2K\u{1b}]52;c;aGk=\u{7}"), "\\x1b[2K\\x1b]52;c;aGk=\\x07");
        assert_eq!(line("\u{9b}31m red"), "\\u009b31m red");
        assert_eq!(line("\u{1b}P1$r\u{1b}\\"), "\\x1bP1$r\\x1b\\");
        assert_eq!(line("\u{90}dcs\u{9c}\u{9d}osc"), "\\u0090dcs\\u009c\\u009dosc");
    }

    #[test]
    fn every_c0_c1_and_del_is_escaped() {
        for code in (0u32..0x20).chain(0x7f..0xa0) {
            let c = char::from_u32(code).unwrap_or('?');
            for mode in [Mode::Line, Mode::Block] {
                let out = neutral(&format!("a{c}b"), mode).into_owned();
                assert!(!out.chars().any(is_unsafe) || (mode == Mode::Block && c == '\n'), "{code:#x}: {out:?}");
            }
        }
        assert_eq!(line("a\rb\u{8}c\0d\u{7f}e"), "a\\rb\\x08c\\x00d\\u007fe");
    }

    #[test]
    fn bidi_and_line_separators_are_escaped() {
        for c in ['\u{61c}', '\u{200e}', '\u{200f}', '\u{2028}', '\u{2029}']
            .into_iter()
            .chain('\u{202a}'..='\u{202e}')
            .chain('\u{2066}'..='\u{2069}')
        {
            let out = line(&format!("x{c}y")).into_owned();
            assert_eq!(out, format!("x\\u{:04x}y", c as u32));
        }
        assert_eq!(line("invoice\u{202e}fdp.exe"), "invoice\\u202efdp.exe");
        // Joiners that emoji need are not bidi controls.
        assert_eq!(line("\u{200d}\u{200b}"), "\u{200d}\u{200b}");
    }

    #[test]
    fn line_feeds_and_tabs_depend_on_the_mode() {
        assert_eq!(line("a\nb\tc"), "a b c");
        assert_eq!(block("a\nb\tc\r\n"), "a\nb c\\r\n");
        assert_eq!(Block("x\ny").to_string(), "x\ny");
    }

    #[test]
    fn the_display_adapter_matches_the_cow_and_honours_width() {
        assert_eq!(Line(hostile::TEXT).to_string(), line(hostile::TEXT));
        assert_eq!(Block(hostile::TEXT).to_string(), block(hostile::TEXT));
        assert_eq!(format!("[{:8}]", Line("a\rb")), "[a\\rb    ]");
        assert_eq!(format!("[{:>6}]", Line("ab")), "[    ab]");
        hostile::assert_clean("line", &line(hostile::TEXT), false);
    }

    #[test]
    fn output_keeps_only_sgr_and_line_feeds() {
        let ours = "\u{1b}[1mbold\u{1b}[0m \u{1b}[38;5;9mred\u{1b}[0m\n";
        assert_eq!(output(ours, true), ours);
        assert_eq!(output(ours, false), "bold red\n");
        let hostile = "a\u{1b}]0;t\u{7}\u{1b}[2K\r\u{9b}31mb\tc\u{202e}\n";
        assert_eq!(output(hostile, true), "a\\x1b]0;t\\x07\\x1b[2K\\r\\u009b31mb\\tc\\u202e\n");
        assert_eq!(output(hostile, false), output(hostile, true));
        // An SGR cut short, or with anything but digits and `;`, is not let through.
        assert_eq!(output("\u{1b}[1", true), "\\x1b[1");
        assert_eq!(output("\u{1b}[?25l", true), "\\x1b[?25l");
        hostile::assert_clean("output", &output(hostile::TEXT, true), true);
        hostile::assert_clean("output", &output(hostile::TEXT, false), false);
    }

    #[test]
    fn output_leaves_json_valid_and_its_strings_exact() {
        let value = serde_json::json!({ "name": "q\u{9b}\u{202e}\u{7f}\u{2028}é" });
        let raw = serde_json::to_string(&value).unwrap();
        let filtered = output(&raw, false);
        assert_ne!(filtered, raw, "serde_json leaves these raw");
        let back: serde_json::Value = serde_json::from_str(&filtered).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn json_strings_are_exact_and_never_raw() {
        let value = serde_json::json!({ "name": hostile::TEXT, "list": ["a\u{2029}", "ü🙂"], "n": 1 });
        let text = to_json_pretty(&value).unwrap();
        hostile::assert_clean("json", &text, false);
        assert!(text.contains("\\u009b31m\\u202egpj.exe"), "{text}");
        assert!(text.contains("ü🙂"), "non-ASCII text stays as it is");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), value);
        // Same layout as serde_json's pretty printer.
        let plain = serde_json::json!({ "a": [1, {"b": "c"}], "d": {} });
        assert_eq!(to_json_pretty(&plain).unwrap(), serde_json::to_string_pretty(&plain).unwrap());
    }

    #[test]
    fn the_writer_filters_each_write() {
        let mut out = OutputWriter::new(Vec::new(), false);
        io::Write::write_all(&mut out, b"\x1b[2mWARN\x1b[0m queue \x1b]0;x\x07\n").unwrap();
        assert_eq!(String::from_utf8(out.inner).unwrap(), "WARN queue \\x1b]0;x\\x07\n");
    }
}
