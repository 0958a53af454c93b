//! TOML flattened with dotted keys (`[database] url` → `database.url`, arrays as `[i]`), each
//! entry on the line of its key (an array item on its own line), read from the parser's spans.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::RawEntry;

/// Flattens the TOML `text`; the error says what and where (never the source line).
pub(super) fn parse(text: &str) -> Result<Vec<RawEntry>, String> {
    let lines = LineIndex::new(text);
    let root = DeTable::parse(text).map_err(|err| match err.span() {
        Some(span) => format!("{} at line {}", err.message().trim_end(), lines.line(span.start)),
        None => err.message().trim_end().to_string(),
    })?;
    let mut out = Vec::new();
    table(&mut out, &lines, "", root.get_ref());
    // The parser's tables are ordered by key; present the file in reading order.
    out.sort_by_key(|e| e.line);
    Ok(out)
}

fn table(out: &mut Vec<RawEntry>, lines: &LineIndex, prefix: &str, table: &DeTable<'_>) {
    for (key, value) in table.iter() {
        let key_line = lines.line(key.span().start);
        let key = if prefix.is_empty() { key.get_ref().to_string() } else { format!("{prefix}.{}", key.get_ref()) };
        item(out, lines, key, key_line, value);
    }
}

fn item(out: &mut Vec<RawEntry>, lines: &LineIndex, key: String, line: u32, value: &Spanned<DeValue<'_>>) {
    let scalar = match value.get_ref() {
        DeValue::String(s) => s.to_string(),
        DeValue::Integer(i) => {
            i64::from_str_radix(i.as_str(), i.radix()).map(|n| n.to_string()).unwrap_or_else(|_| i.to_string())
        }
        DeValue::Float(f) => f.as_str().to_string(),
        DeValue::Boolean(b) => b.to_string(),
        DeValue::Datetime(d) => d.to_string(),
        DeValue::Array(items) if !items.is_empty() => {
            for (i, element) in items.iter().enumerate() {
                item(out, lines, format!("{key}[{i}]"), lines.line(element.span().start), element);
            }
            return;
        }
        DeValue::Table(inner) if !inner.is_empty() => return table(out, lines, &key, inner),
        // An empty array or table: keep the key visible.
        DeValue::Array(_) | DeValue::Table(_) => String::new(),
    };
    out.push(RawEntry::new(key, scalar, line));
}

/// Byte offset → 1-based line number.
struct LineIndex(Vec<usize>);

impl LineIndex {
    fn new(text: &str) -> Self {
        LineIndex(std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect())
    }

    fn line(&self, offset: usize) -> u32 {
        u32::try_from(self.0.partition_point(|start| *start <= offset)).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(text: &str) -> Vec<(String, String, u32)> {
        parse(text).unwrap().into_iter().map(|e| (e.key, e.value, e.line)).collect()
    }

    fn e(key: &str, value: &str, line: u32) -> (String, String, u32) {
        (key.into(), value.into(), line)
    }

    #[test]
    fn flattens_tables_arrays_and_dotted_keys() {
        let text = "z = 0x1f\n[server]\nport = 8080\ntls.enabled = true\nhosts = [\n  \"a\",\n  \"b\",\n]\n[[jobs]]\nname = \"x\"\n[[jobs]]\nname = \"y\"\nempty = []\n";
        assert_eq!(
            flat(text),
            vec![
                e("z", "31", 1),
                e("server.port", "8080", 3),
                e("server.tls.enabled", "true", 4),
                e("server.hosts[0]", "a", 6),
                e("server.hosts[1]", "b", 7),
                e("jobs[0].name", "x", 10),
                e("jobs[1].name", "y", 12),
                e("jobs[1].empty", "", 13),
            ]
        );
    }

    #[test]
    fn errors_name_the_line_not_the_text() {
        let err = parse("a = 1\npassword = \"toml-secret-value\n").err().unwrap();
        assert!(err.contains("line 2"), "{err}");
        assert!(!err.contains("toml-secret-value"), "{err}");
    }
}
