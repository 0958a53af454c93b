//! YAML flattened from parser events, so every scalar keeps its line: nested maps joined with
//! `.`, sequences as `[i]`, all documents of a file into one list. Anchors and aliases are
//! resolved (an aliased subtree keeps the lines where it was written) and merge keys (`<<`)
//! place the merged entries in the mapping that merges them. An entry's line is its key's line
//! (a sequence item's own line). `~`, `null` and empty values read as "".

use std::collections::HashMap;

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::{ScanError, TScalarStyle};

use super::RawEntry;

/// Flattens the YAML `text`; the error says what and where (never the value).
pub(super) fn parse(text: &str) -> Result<Vec<RawEntry>, String> {
    let mut parser = Parser::new_from_str(text);
    let mut flat = Flattener::default();
    loop {
        let (event, mark) = parser.next_token().map_err(|e| describe(&e))?;
        let line = u32::try_from(mark.line()).unwrap_or(u32::MAX);
        match event {
            Event::StreamEnd => return Ok(flat.out),
            Event::Scalar(value, style, anchor, _) => flat.scalar(value, style, anchor, line),
            Event::MappingStart(anchor, _) => flat.start(Kind::Map(None), anchor, line),
            Event::SequenceStart(anchor, _) => flat.start(Kind::Seq(0), anchor, line),
            Event::MappingEnd | Event::SequenceEnd => flat.end(),
            Event::Alias(id) => flat.alias(id, line),
            _ => Ok(()),
        }
        .map_err(|what| format!("{what} at line {line}"))?;
    }
}

fn describe(err: &ScanError) -> String {
    let mark = err.marker();
    format!("{} at line {} column {}", err.info(), mark.line(), mark.col() + 1)
}

enum Kind {
    /// A mapping, with the key read and waiting for its value.
    Map(Option<(String, u32)>),
    /// A sequence, with the index of its next item.
    Seq(usize),
}

struct Frame {
    kind: Kind,
    prefix: String,
    line: u32,
    anchor: usize,
    /// Index into `out` of the first entry this node produced.
    start: usize,
    /// A merge (`<<`) target: items go into `prefix` itself, not `prefix[i]`.
    merge: bool,
}

/// What an anchor stands for: a scalar, or a subtree's entries with keys relative to its root.
enum Anchored {
    Scalar(String),
    Tree(Vec<(String, String, u32)>),
}

#[derive(Default)]
struct Flattener {
    stack: Vec<Frame>,
    out: Vec<RawEntry>,
    anchors: HashMap<usize, Anchored>,
}

/// Where the next node goes: its key, the line to report and whether it is a merge.
struct Slot {
    key: String,
    line: u32,
    merge: bool,
}

impl Flattener {
    /// Whether the next node is a mapping key.
    fn expects_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame { kind: Kind::Map(None), .. }))
    }

    /// Claims the slot for the next (non-key) node.
    fn slot(&mut self, line: u32) -> Slot {
        let Some(frame) = self.stack.last_mut() else {
            return Slot { key: String::new(), line, merge: false };
        };
        match &mut frame.kind {
            Kind::Map(pending) => {
                let (key, key_line) = pending.take().unwrap_or_default();
                let merge = key == "<<";
                let key = if merge { frame.prefix.clone() } else { join(&frame.prefix, &key) };
                Slot { key, line: key_line, merge }
            }
            Kind::Seq(_) if frame.merge => Slot { key: frame.prefix.clone(), line, merge: true },
            Kind::Seq(next) => {
                *next += 1;
                Slot { key: format!("{}[{}]", frame.prefix, *next - 1), line, merge: false }
            }
        }
    }

    fn scalar(&mut self, value: String, style: TScalarStyle, anchor: usize, line: u32) -> Result<(), String> {
        if self.expects_key() {
            if let Some(Frame { kind: Kind::Map(pending), .. }) = self.stack.last_mut() {
                *pending = Some((value, line));
            }
            return Ok(());
        }
        let value = if style == TScalarStyle::Plain && matches!(value.as_str(), "~" | "null" | "Null" | "NULL") {
            String::new()
        } else {
            value
        };
        let slot = self.slot(line);
        if anchor > 0 {
            self.anchors.insert(anchor, Anchored::Scalar(value.clone()));
        }
        if !slot.key.is_empty() {
            self.out.push(RawEntry::new(slot.key, value, slot.line));
        }
        Ok(())
    }

    fn start(&mut self, kind: Kind, anchor: usize, line: u32) -> Result<(), String> {
        if self.expects_key() {
            return Err("a mapping or sequence used as a key is not supported".into());
        }
        let slot = self.slot(line);
        let start = self.out.len();
        self.stack.push(Frame { kind, prefix: slot.key, line: slot.line, anchor, start, merge: slot.merge });
        Ok(())
    }

    fn end(&mut self) -> Result<(), String> {
        let frame = self.stack.pop().ok_or("unbalanced end of mapping or sequence")?;
        if self.out.len() == frame.start && !frame.merge && !frame.prefix.is_empty() {
            // An empty `{}` or `[]`: keep the key visible.
            self.out.push(RawEntry::new(frame.prefix.clone(), "", frame.line));
        }
        if frame.anchor > 0 {
            let tree = self.out[frame.start..]
                .iter()
                .map(|e| (relative(&e.key, &frame.prefix), e.value.clone(), e.line))
                .collect();
            self.anchors.insert(frame.anchor, Anchored::Tree(tree));
        }
        Ok(())
    }

    fn alias(&mut self, id: usize, line: u32) -> Result<(), String> {
        if self.expects_key() {
            let Some(Anchored::Scalar(key)) = self.anchors.get(&id) else {
                return Err("an alias of a mapping or sequence used as a key is not supported".into());
            };
            let key = key.clone();
            return self.scalar(key, TScalarStyle::SingleQuoted, 0, line);
        }
        let slot = self.slot(line);
        match self.anchors.get(&id) {
            Some(Anchored::Scalar(value)) => self.out.push(RawEntry::new(slot.key, value.clone(), slot.line)),
            Some(Anchored::Tree(tree)) => {
                let replayed =
                    tree.iter().map(|(rel, value, line)| RawEntry::new(join(&slot.key, rel), value.clone(), *line));
                self.out.extend(replayed.collect::<Vec<_>>());
            }
            None => return Err("alias of an unknown anchor".into()),
        }
        Ok(())
    }
}

/// `prefix` + `rest` Spring style: `a` + `b` = `a.b`, `a` + `[0]` = `a[0]`.
fn join(prefix: &str, rest: &str) -> String {
    if prefix.is_empty() {
        rest.to_string()
    } else if rest.is_empty() {
        prefix.to_string()
    } else if rest.starts_with('[') {
        format!("{prefix}{rest}")
    } else {
        format!("{prefix}.{rest}")
    }
}

/// `key` relative to `prefix` (the inverse of [`join`]).
fn relative(key: &str, prefix: &str) -> String {
    let rest = key.strip_prefix(prefix).unwrap_or(key);
    rest.strip_prefix('.').unwrap_or(rest).to_string()
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
    fn flattens_maps_sequences_and_documents() {
        let text =
            "a:\n  b: 1\n  list:\n    - x\n    - name: y\n      port: 2\n  flow: [p, q]\n---\nc: ~\nd: {}\ne: []\n";
        assert_eq!(
            flat(text),
            vec![
                e("a.b", "1", 2),
                e("a.list[0]", "x", 4),
                e("a.list[1].name", "y", 5),
                e("a.list[1].port", "2", 6),
                e("a.flow[0]", "p", 7),
                e("a.flow[1]", "q", 7),
                e("c", "", 9),
                e("d", "", 10),
                e("e", "", 11),
            ]
        );
    }

    #[test]
    fn block_scalars_take_the_key_line() {
        let text = "key: |\n  line one\n  line two\nnext: 'quoted # not a comment'\n";
        assert_eq!(flat(text), vec![e("key", "line one\nline two\n", 1), e("next", "quoted # not a comment", 4)]);
    }

    #[test]
    fn resolves_anchors_aliases_and_merge_keys() {
        let text = "base: &base\n  timeout: 5\n  retry:\n    max: 3\nname: &n svc\nprod:\n  <<: *base\n  timeout: 9\n  app: *n\ncopy: *base\nboth:\n  <<: [*base]\n";
        assert_eq!(
            flat(text),
            vec![
                e("base.timeout", "5", 2),
                e("base.retry.max", "3", 4),
                e("name", "svc", 5),
                e("prod.timeout", "5", 2),
                e("prod.retry.max", "3", 4),
                e("prod.timeout", "9", 8),
                e("prod.app", "svc", 9),
                e("copy.timeout", "5", 2),
                e("copy.retry.max", "3", 4),
                e("both.timeout", "5", 2),
                e("both.retry.max", "3", 4),
            ]
        );
    }

    #[test]
    fn errors_name_the_line_not_the_value() {
        let err = parse("a: 1\nb: [unclosed-secret-value\nc: 2\n").err().unwrap();
        assert!(err.contains("line"), "{err}");
        assert!(!err.contains("unclosed-secret-value"), "{err}");
        let err = parse("? [complex]\n: value\n").err().unwrap();
        assert!(err.contains("not supported at line 1"), "{err}");
    }
}
