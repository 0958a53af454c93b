//! `.env` files: `KEY=value` lines, optional `export `, `#` comments. Double-quoted values may
//! span lines and know `\n`, `\"` and `\\`; single-quoted ones are literal; an unquoted value
//! ends at ` #`. Lines that are not `KEY=value` are skipped (their text is never reported).

use super::RawEntry;

pub(super) fn parse(text: &str) -> Vec<RawEntry> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        let line = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let (entry, used) = parse_at(&lines[index..]);
        if let Some((key, value)) = entry {
            out.push(RawEntry::new(key, value, line));
        } else if !is_blank_or_comment(lines[index]) {
            tracing::debug!(line, "skipped a .env line that is not KEY=value");
        }
        index += used.max(1);
    }
    out
}

fn is_blank_or_comment(line: &str) -> bool {
    let line = line.trim();
    line.is_empty() || line.starts_with('#')
}

/// Reads the entry starting at `lines[0]`; returns it and how many lines it took.
fn parse_at(lines: &[&str]) -> (Option<(String, String)>, usize) {
    let line = lines[0].trim_start();
    let line = line.strip_prefix("export").filter(|rest| rest.starts_with([' ', '\t'])).unwrap_or(line);
    let Some((key, value)) = line.split_once('=') else { return (None, 1) };
    let key = key.trim();
    let valid = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if !valid || key.starts_with('#') {
        return (None, 1);
    }
    let value = value.trim_start();
    match value.chars().next() {
        Some(quote @ ('"' | '\'')) => {
            let (value, used) = quoted(value, quote, &lines[1..]);
            (Some((key.to_string(), value)), used)
        }
        _ => (Some((key.to_string(), unquoted(value))), 1),
    }
}

fn unquoted(value: &str) -> String {
    let end = value.find(" #").or_else(|| value.find("\t#")).unwrap_or(value.len());
    value[..end].trim_end().to_string()
}

/// A quoted value starting at `first` (which begins with `quote`), continued on `more` lines
/// until the closing quote; an unclosed quote takes the rest of the line as the value.
fn quoted(first: &str, quote: char, more: &[&str]) -> (String, usize) {
    let mut text = first[1..].to_string();
    let mut used = 1;
    loop {
        if let Some(end) = closing(&text, quote) {
            text.truncate(end);
            break;
        }
        match more.get(used - 1) {
            Some(next) => {
                text.push('\n');
                text.push_str(next);
                used += 1;
            }
            None => {
                text = first[1..].to_string();
                used = 1;
                break;
            }
        }
    }
    let value = if quote == '"' { unescape(&text) } else { text };
    (value, used)
}

/// Byte index of the closing `quote` (double quotes honour backslash escapes).
fn closing(text: &str, quote: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' && quote == '"' {
            escaped = true;
        } else if c == quote {
            return Some(i);
        }
    }
    None
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(text: &str) -> Vec<(String, String, u32)> {
        parse(text).into_iter().map(|e| (e.key, e.value, e.line)).collect()
    }

    fn e(key: &str, value: &str, line: u32) -> (String, String, u32) {
        (key.into(), value.into(), line)
    }

    #[test]
    fn reads_quotes_exports_and_comments() {
        let text = "# c\nexport A=1\nB=\"two words\" # note\nC='lit\\n'\nD=plain # note\nE=\nnot a pair\nexportF=3\n";
        assert_eq!(
            flat(text),
            vec![
                e("A", "1", 2),
                e("B", "two words", 3),
                e("C", "lit\\n", 4),
                e("D", "plain", 5),
                e("E", "", 6),
                e("exportF", "3", 8)
            ]
        );
    }

    #[test]
    fn double_quotes_span_lines() {
        let text = "KEY=\"-----BEGIN KEY-----\nabc==\n-----END KEY-----\"\nAFTER=\"a\\\"b\"\nOPEN=\"never closed\n";
        assert_eq!(
            flat(text),
            vec![
                e("KEY", "-----BEGIN KEY-----\nabc==\n-----END KEY-----", 1),
                e("AFTER", "a\"b", 4),
                e("OPEN", "never closed", 5),
            ]
        );
    }
}
