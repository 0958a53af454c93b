//! Where a pack's files are read from: a directory, or a `.tar.gz` that is untrusted input.
//!
//! An archive is unpacked into memory only, never onto disk, and refused whole when any entry is
//! unsafe: an absolute path, a `..` component, a symbolic or hard link, a device or FIFO, an
//! entry that appears twice, more than [`MAX_ENTRIES`] entries, a file larger than
//! [`MAX_FILE`], or more than [`MAX_UNPACKED`] bytes after decompression (a gzip bomb stops at
//! the cap). The pack's files sit at the archive's root or inside one top-level directory.
//! A directory source reads only the files asked for, and refuses links there too.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::manifest;

/// Largest file read from a pack (a component; the manifest and signature have lower caps).
pub const MAX_FILE: u64 = 32 << 20;
/// Most bytes an archive may unpack to (headers included).
pub const MAX_UNPACKED: u64 = 128 << 20;
/// Most entries in an archive.
pub const MAX_ENTRIES: usize = 1000;

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("cannot read {path}: {error}")]
    Io { path: PathBuf, error: std::io::Error },
    #[error("{path}: not a pack directory or .tar.gz archive")]
    NotAPack { path: PathBuf },
    #[error("{archive}: not a readable .tar.gz: {why}")]
    Corrupt { archive: PathBuf, why: String },
    #[error("{archive}: refused entry `{entry}`: {why}; nothing was installed")]
    Unsafe { archive: PathBuf, entry: String, why: String },
    #[error("{path}: larger than the limit of {limit} bytes")]
    TooLarge { path: String, limit: u64 },
    #[error("{path}: not a regular file (links are not followed in packs)")]
    NotAFile { path: PathBuf },
    #[error("{archive}: no pack.toml at the top of the archive or in its single top-level directory")]
    NoManifest { archive: PathBuf },
}

/// A pack's files, on disk or unpacked from an archive.
#[derive(Debug)]
pub enum PackSource {
    Dir(PathBuf),
    Archive { path: PathBuf, files: BTreeMap<String, Vec<u8>> },
}

impl PackSource {
    /// A directory, or a gzip-compressed tar archive (recognised by its magic bytes).
    pub fn open(path: &Path) -> Result<PackSource, ArchiveError> {
        let meta = std::fs::metadata(path).map_err(|source| ArchiveError::Io { path: path.into(), error: source })?;
        if meta.is_dir() {
            return Ok(PackSource::Dir(path.to_path_buf()));
        }
        let mut magic = [0u8; 2];
        let mut file =
            std::fs::File::open(path).map_err(|source| ArchiveError::Io { path: path.into(), error: source })?;
        if file.read_exact(&mut magic).is_err() || magic != [0x1f, 0x8b] {
            return Err(ArchiveError::NotAPack { path: path.into() });
        }
        Ok(PackSource::Archive { path: path.into(), files: unpack(path)? })
    }

    /// The file `name` of the pack (at most `cap` bytes), or `None` when the pack has none.
    pub fn read(&self, name: &str, cap: u64) -> Result<Option<Vec<u8>>, ArchiveError> {
        match self {
            PackSource::Dir(dir) => {
                let path = dir.join(name);
                match std::fs::symlink_metadata(&path) {
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(source) => Err(ArchiveError::Io { path, error: source }),
                    Ok(meta) if !meta.file_type().is_file() => Err(ArchiveError::NotAFile { path }),
                    Ok(_) => read_capped(&path, cap).map(Some).map_err(|source| match source.kind() {
                        std::io::ErrorKind::FileTooLarge => {
                            ArchiveError::TooLarge { path: path.display().to_string(), limit: cap }
                        }
                        _ => ArchiveError::Io { path: path.clone(), error: source },
                    }),
                }
            }
            PackSource::Archive { path, files } => match files.get(name) {
                Some(bytes) if bytes.len() as u64 > cap => {
                    Err(ArchiveError::TooLarge { path: format!("{}:{name}", path.display()), limit: cap })
                }
                other => Ok(other.cloned()),
            },
        }
    }

    /// The directory or archive path, for messages.
    pub fn path(&self) -> &Path {
        match self {
            PackSource::Dir(dir) => dir,
            PackSource::Archive { path, .. } => path,
        }
    }
}

/// Reads at most `cap` bytes of `path`; a longer file is an error of kind `FileTooLarge`.
pub fn read_capped(path: &Path, cap: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(std::io::Error::new(std::io::ErrorKind::FileTooLarge, format!("larger than {cap} bytes")));
    }
    Ok(bytes)
}

/// A reader that fails once more than `left` bytes were asked of it, and remembers that it did.
struct Capped<R> {
    inner: R,
    left: u64,
    hit: std::rc::Rc<std::cell::Cell<bool>>,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            self.hit.set(true);
            return Err(std::io::Error::other(format!("unpacks to more than {MAX_UNPACKED} bytes")));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Unpacks every regular file of a `.tar.gz` into memory, keyed by its path below the pack root.
fn unpack(archive: &Path) -> Result<BTreeMap<String, Vec<u8>>, ArchiveError> {
    let hit = std::rc::Rc::new(std::cell::Cell::new(false));
    let corrupt = |e: std::io::Error| {
        if hit.get() {
            ArchiveError::TooLarge { path: archive.display().to_string(), limit: MAX_UNPACKED }
        } else {
            ArchiveError::Corrupt { archive: archive.into(), why: e.to_string() }
        }
    };
    let unsafe_entry =
        |entry: &str, why: &str| ArchiveError::Unsafe { archive: archive.into(), entry: entry.into(), why: why.into() };
    let file =
        std::fs::File::open(archive).map_err(|source| ArchiveError::Io { path: archive.into(), error: source })?;
    let decoder = flate2::read::GzDecoder::new(std::io::BufReader::new(file));
    let mut tar = tar::Archive::new(Capped { inner: decoder, left: MAX_UNPACKED, hit: hit.clone() });
    let mut files = BTreeMap::new();
    let mut count = 0;
    for entry in tar.entries().map_err(corrupt)? {
        let mut entry = entry.map_err(corrupt)?;
        count += 1;
        if count > MAX_ENTRIES {
            return Err(unsafe_entry("…", &format!("more than {MAX_ENTRIES} entries")));
        }
        let raw = entry.path_bytes().into_owned();
        let shown = String::from_utf8_lossy(&raw).into_owned();
        let kind = entry.header().entry_type();
        let why = match kind {
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::Directory => None,
            // PAX global headers (`git archive` writes one) carry no file.
            tar::EntryType::XGlobalHeader | tar::EntryType::XHeader => continue,
            tar::EntryType::Symlink => Some("a symbolic link"),
            tar::EntryType::Link => Some("a hard link"),
            _ => Some("not a regular file or directory"),
        };
        if let Some(why) = why {
            return Err(unsafe_entry(&shown, why));
        }
        let name = safe_path(&raw).map_err(|why| unsafe_entry(&shown, why))?;
        if kind == tar::EntryType::Directory || name.is_empty() {
            continue;
        }
        let size = entry.header().size().map_err(corrupt)?;
        if size > MAX_FILE {
            return Err(ArchiveError::TooLarge { path: format!("{}:{shown}", archive.display()), limit: MAX_FILE });
        }
        let mut bytes = Vec::with_capacity(size as usize);
        (&mut entry).take(MAX_FILE + 1).read_to_end(&mut bytes).map_err(corrupt)?;
        if bytes.len() as u64 != size {
            return Err(ArchiveError::Corrupt {
                archive: archive.into(),
                why: format!("entry `{shown}` is truncated"),
            });
        }
        if files.insert(name, bytes).is_some() {
            return Err(unsafe_entry(&shown, "appears twice"));
        }
    }
    strip_root(archive, files)
}

/// The entry's path as `a/b` with `.` and empty components dropped; absolute paths, `..`,
/// backslashes and non-UTF-8 names are refused.
fn safe_path(raw: &[u8]) -> Result<String, &'static str> {
    let text = std::str::from_utf8(raw).map_err(|_| "a path that is not UTF-8")?;
    if text.starts_with('/') {
        return Err("an absolute path");
    }
    let mut parts = Vec::new();
    for part in text.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err("a path that leaves the pack (`..`)"),
            p if p.contains(['\\', '\0', ':']) => return Err("a path with `\\`, `:` or NUL"),
            p => parts.push(p),
        }
    }
    Ok(parts.join("/"))
}

/// Re-keys the files relative to the directory holding `pack.toml`: the root, or the archive's
/// single top-level directory.
fn strip_root(archive: &Path, files: BTreeMap<String, Vec<u8>>) -> Result<BTreeMap<String, Vec<u8>>, ArchiveError> {
    if files.contains_key(manifest::FILE) {
        return Ok(files);
    }
    let tops: std::collections::BTreeSet<&str> = files.keys().filter_map(|k| k.split_once('/').map(|s| s.0)).collect();
    match tops.into_iter().collect::<Vec<_>>().as_slice() {
        [top] if files.contains_key(&format!("{top}/{}", manifest::FILE)) => {
            let prefix = format!("{top}/");
            Ok(files.into_iter().filter_map(|(k, v)| k.strip_prefix(&prefix).map(|k| (k.to_string(), v))).collect())
        }
        _ => Err(ArchiveError::NoManifest { archive: archive.into() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `.tar.gz` with raw entries: (path bytes as stored, entry type, data).
    fn archive(dir: &Path, entries: &[(&str, tar::EntryType, &[u8])]) -> PathBuf {
        let path = dir.join("pack.tar.gz");
        let gz = flate2::write::GzEncoder::new(std::fs::File::create(&path).unwrap(), flate2::Compression::fast());
        let mut builder = tar::Builder::new(gz);
        for (name, kind, data) in entries {
            let mut header = tar::Header::new_old();
            // Written raw: `set_path` itself refuses `..`, which is what an attacker would not use.
            header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
            header.set_entry_type(*kind);
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder.append(&header, *data).unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap();
        path
    }

    fn refusal(entries: &[(&str, tar::EntryType, &[u8])]) -> String {
        let dir = tempfile::tempdir().unwrap();
        match PackSource::open(&archive(dir.path(), entries)) {
            Ok(_) => panic!("archive accepted"),
            Err(e) => e.to_string(),
        }
    }

    const FILE: tar::EntryType = tar::EntryType::Regular;

    #[test]
    fn reads_files_at_the_root_or_in_one_top_directory() {
        let dir = tempfile::tempdir().unwrap();
        let source =
            PackSource::open(&archive(dir.path(), &[("./pack.toml", FILE, b"m"), ("a.wasm", FILE, b"w")])).unwrap();
        assert_eq!(source.read("pack.toml", 10).unwrap().as_deref(), Some(&b"m"[..]));
        assert_eq!(source.read("missing", 10).unwrap(), None);
        assert!(matches!(source.read("pack.toml", 0), Err(ArchiveError::TooLarge { .. })));
        let nested = archive(
            dir.path(),
            &[
                ("acme-1.0/", tar::EntryType::Directory, b""),
                ("acme-1.0/pack.toml", FILE, b"m"),
                ("acme-1.0/a.wasm", FILE, b"w"),
            ],
        );
        let source = PackSource::open(&nested).unwrap();
        assert_eq!(source.read("a.wasm", 10).unwrap().as_deref(), Some(&b"w"[..]));
    }

    #[test]
    fn unsafe_entries_are_refused() {
        let err = refusal(&[("pack.toml", FILE, b"m"), ("../evil.wasm", FILE, b"x")]);
        assert!(err.contains("../evil.wasm") && err.contains("`..`"), "{err}");
        let err = refusal(&[("/etc/passwd", FILE, b"x")]);
        assert!(err.contains("absolute"), "{err}");
        let err = refusal(&[("pack.toml", FILE, b"m"), ("a.wasm", tar::EntryType::Symlink, b"")]);
        assert!(err.contains("symbolic link"), "{err}");
        let err = refusal(&[("pack.toml", FILE, b"m"), ("a.wasm", tar::EntryType::Link, b"")]);
        assert!(err.contains("hard link"), "{err}");
        let err = refusal(&[("pack.toml", FILE, b"m"), ("dev", tar::EntryType::Char, b"")]);
        assert!(err.contains("not a regular file"), "{err}");
        let err = refusal(&[("pack.toml", FILE, b"m"), ("./pack.toml", FILE, b"n")]);
        assert!(err.contains("twice"), "{err}");
        let err = refusal(&[("docs/readme", FILE, b"m")]);
        assert!(err.contains("no pack.toml"), "{err}");
    }

    #[test]
    fn a_gzip_bomb_stops_at_the_cap() {
        // Five 30 MiB files of zeros: each under MAX_FILE, together past MAX_UNPACKED, and about
        // 150 KiB compressed.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bomb.tar.gz");
        let gz = flate2::write::GzEncoder::new(std::fs::File::create(&path).unwrap(), flate2::Compression::fast());
        let mut builder = tar::Builder::new(gz);
        let zeros = vec![0u8; 30 << 20];
        for i in 0..5 {
            let mut header = tar::Header::new_gnu();
            header.set_size(zeros.len() as u64);
            header.set_mode(0o644);
            builder.append_data(&mut header, format!("f{i}.wasm"), &zeros[..]).unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap();
        assert!(std::fs::metadata(&path).unwrap().len() < 2 << 20);
        let err = PackSource::open(&path).unwrap_err();
        assert!(matches!(err, ArchiveError::TooLarge { limit: MAX_UNPACKED, .. }), "{err}");
    }

    #[test]
    fn not_a_pack() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.txt");
        std::fs::write(&path, "hello").unwrap();
        assert!(matches!(PackSource::open(&path), Err(ArchiveError::NotAPack { .. })));
    }

    #[cfg(unix)]
    #[test]
    fn directory_sources_refuse_links() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("real"), "x").unwrap();
        std::os::unix::fs::symlink(dir.path().join("real"), dir.path().join("a.wasm")).unwrap();
        let source = PackSource::open(dir.path()).unwrap();
        assert!(matches!(source.read("a.wasm", 10), Err(ArchiveError::NotAFile { .. })));
        assert_eq!(source.read("real", 10).unwrap().as_deref(), Some(&b"x"[..]));
        assert!(matches!(source.read("real", 0), Err(ArchiveError::TooLarge { .. })));
    }
}
