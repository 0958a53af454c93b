//! Java `.properties`, as `java.util.Properties` reads them: `key=value`, `key: value` or
//! `key value`; `#` and `!` comment lines; a line ending in an odd number of `\` continues on
//! the next (whose leading blanks are dropped); `\t`, `\n`, `\uXXXX` and `\x` escapes. An
//! entry's line is the line its key is on.

use super::RawEntry;

pub(super) fn parse(text: &str) -> Vec<RawEntry> {
    logical_lines(text)
        .into_iter()
        .map(|(line, logical)| {
            let (key, value) = split_key_value(&logical);
            RawEntry::new(key, value, line)
        })
        .collect()
}

/// Non-blank, non-comment lines with continuations joined, each with its first line number.
fn logical_lines(text: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let mut current: Option<(u32, String)> = None;
    for (index, raw) in text.lines().enumerate() {
        let line = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let trimmed = raw.trim_start_matches([' ', '\t', '\x0c']);
        let (start, mut joined) = match current.take() {
            Some(open) => open,
            None if trimmed.is_empty() || trimmed.starts_with(['#', '!']) => continue,
            None => (line, String::new()),
        };
        if continues(trimmed) {
            joined.push_str(&trimmed[..trimmed.len() - 1]);
            current = Some((start, joined));
        } else {
            joined.push_str(trimmed);
            out.push((start, joined));
        }
    }
    out.extend(current);
    out
}

/// An odd number of trailing backslashes: the last one escapes the line end.
fn continues(line: &str) -> bool {
    line.bytes().rev().take_while(|b| *b == b'\\').count() % 2 == 1
}

/// Splits at the first unescaped `=`, `:` or blank (blanks around `=`/`:` belong to neither).
fn split_key_value(line: &str) -> (String, String) {
    let mut escaped = false;
    let mut end = line.len();
    for (i, c) in line.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if matches!(c, '=' | ':' | ' ' | '\t' | '\x0c') {
            end = i;
            break;
        }
    }
    let key = &line[..end];
    let mut rest = line[end..].trim_start_matches([' ', '\t', '\x0c']);
    if let Some(after) = rest.strip_prefix(['=', ':']) {
        rest = after.trim_start_matches([' ', '\t', '\x0c']);
    }
    (unescape(key), unescape(rest))
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
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\x0c'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                out.extend(u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32));
            }
            Some(other) => out.push(other),
            None => {}
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
    fn reads_every_separator_comment_and_continuation() {
        let text = "# comment \\\n! other\n\na=1\nb : 2\nc 3\n  d=x, \\\n     y, \\\n     z\ne=\nf\n";
        assert_eq!(
            flat(text),
            vec![e("a", "1", 4), e("b", "2", 5), e("c", "3", 6), e("d", "x, y, z", 7), e("e", "", 10), e("f", "", 11)]
        );
    }

    #[test]
    fn handles_escapes() {
        let text = "key\\ with\\:colon = tab\\there\nunicode=caf\\u00e9\nslash=ends\\\\\nnext=1\n";
        assert_eq!(
            flat(text),
            vec![
                e("key with:colon", "tab\there", 1),
                e("unicode", "café", 2),
                e("slash", "ends\\", 3),
                e("next", "1", 4)
            ]
        );
    }
}
