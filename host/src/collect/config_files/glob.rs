//! A small path matcher for `paths`: `*` matches any run of characters within one path segment,
//! `**` any number of directories (hidden ones — `.git`, `.github` — excepted). Symbolic links
//! to directories are not followed by `**`, so a link loop cannot trap the walk.

use std::path::{Component, Path, PathBuf};

/// At most this many directory entries are looked at over all patterns of a source.
pub(super) const VISIT_BUDGET: usize = 200_000;

/// What one pattern matched.
pub(super) struct Expansion {
    /// Matched regular files, sorted.
    pub files: Vec<PathBuf>,
    /// The pattern had a wildcard (otherwise it named one file).
    pub is_glob: bool,
    /// The walk ran out of budget; `files` may be incomplete.
    pub truncated: bool,
}

enum Part {
    Literal(String),
    Wildcard(String),
    AnyDepth,
}

/// Expands `pattern`, relative to `base` unless absolute. `base` may be empty (current directory).
pub(super) fn expand(base: &Path, pattern: &str, budget: &mut usize) -> Expansion {
    let (root, parts) = split(base, pattern);
    let is_glob = parts.iter().any(|p| !matches!(p, Part::Literal(_)));
    let mut walk = Walk { files: Vec::new(), budget, truncated: false };
    walk.visit(root, &parts);
    let Walk { mut files, truncated, .. } = walk;
    files.sort();
    files.dedup();
    Expansion { files, is_glob, truncated }
}

/// The longest wildcard-free leading path (joined onto `base`) and the parts after it.
fn split(base: &Path, pattern: &str) -> (PathBuf, Vec<Part>) {
    let mut root = base.to_path_buf();
    let mut parts = Vec::new();
    for component in Path::new(pattern).components() {
        match component {
            Component::Normal(name) => {
                let name = name.to_string_lossy();
                let part = if name == "**" {
                    Part::AnyDepth
                } else if name.contains('*') {
                    Part::Wildcard(name.into_owned())
                } else {
                    Part::Literal(name.into_owned())
                };
                match part {
                    Part::Literal(name) if parts.is_empty() => root.push(name),
                    part => parts.push(part),
                }
            }
            Component::CurDir => {}
            other if parts.is_empty() => root.push(other.as_os_str()),
            other => parts.push(Part::Literal(other.as_os_str().to_string_lossy().into_owned())),
        }
    }
    (root, parts)
}

struct Walk<'a> {
    files: Vec<PathBuf>,
    budget: &'a mut usize,
    truncated: bool,
}

impl Walk<'_> {
    fn visit(&mut self, path: PathBuf, parts: &[Part]) {
        let Some((first, rest)) = parts.split_first() else {
            if path.is_file() {
                self.files.push(path);
            }
            return;
        };
        match first {
            Part::Literal(name) => self.visit(path.join(name), rest),
            Part::Wildcard(pattern) => {
                for (name, _) in self.list(&path) {
                    if wildcard_match(pattern, &name) {
                        self.visit(path.join(name), rest);
                    }
                }
            }
            Part::AnyDepth => {
                self.visit(path.clone(), rest);
                for (name, is_dir) in self.list(&path) {
                    if is_dir && !name.starts_with('.') {
                        self.visit(path.join(name), parts);
                    } else if !is_dir && rest.is_empty() {
                        // A trailing `**` matches every file below.
                        self.visit(path.join(name), rest);
                    }
                }
            }
        }
    }

    /// Names in directory `path` (empty: the current directory) and whether each is a real
    /// directory (not a link to one); nothing when it cannot be listed or the budget is spent.
    fn list(&mut self, path: &Path) -> Vec<(String, bool)> {
        let dir = if path.as_os_str().is_empty() { Path::new(".") } else { path };
        let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
        let mut names = Vec::new();
        for entry in entries.flatten() {
            if *self.budget == 0 {
                self.truncated = true;
                break;
            }
            *self.budget -= 1;
            let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
            names.push((entry.file_name().to_string_lossy().into_owned(), is_dir));
        }
        names.sort();
        names
    }
}

/// `*` matches any run of characters (including none); everything else matches itself.
fn wildcard_match(pattern: &str, name: &str) -> bool {
    let mut pieces = pattern.split('*');
    let first = pieces.next().unwrap_or("");
    let Some(mut rest) = name.strip_prefix(first) else { return false };
    let pieces: Vec<&str> = pieces.collect();
    let Some((last, middle)) = pieces.split_last() else { return rest.is_empty() };
    for piece in middle {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_within_a_segment() {
        assert!(wildcard_match("*.yml", "application.yml"));
        assert!(wildcard_match("application*.yml", "application-prod.yml"));
        assert!(wildcard_match("application*.yml", "application.yml"));
        assert!(wildcard_match("*", ".env"));
        assert!(wildcard_match("a*b*c", "abbbc"));
        assert!(!wildcard_match("a*b*c", "abbbcd"));
        assert!(!wildcard_match("*.yml", "application.yaml"));
        assert!(!wildcard_match("app*", "my-app"));
        assert!(!wildcard_match("a*a", "a"));
        assert!(wildcard_match("plain", "plain"));
        assert!(!wildcard_match("plain", "plainer"));
    }

    #[test]
    fn splits_the_literal_root_from_the_wildcards() {
        let (root, parts) = split(Path::new("/base"), "./services/*/config/**/*.yml");
        assert_eq!(root, Path::new("/base/services"));
        assert!(
            matches!(&parts[..], [Part::Wildcard(_), Part::Literal(c), Part::AnyDepth, Part::Wildcard(_)] if c == "config")
        );
        let (root, parts) = split(Path::new("/base"), "/etc/app/app.toml");
        assert_eq!(root, Path::new("/etc/app/app.toml"));
        assert!(parts.is_empty());
    }

    #[test]
    fn the_budget_stops_a_walk() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["a.yml", "b.yml", "c.yml"] {
            std::fs::write(dir.path().join(name), "k: v\n").unwrap();
        }
        let mut budget = 2;
        let found = expand(dir.path(), "*.yml", &mut budget);
        assert!(found.truncated);
        assert_eq!(found.files.len(), 2);
    }
}
