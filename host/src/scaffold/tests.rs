//! Unit tests for the scaffold: ids are validated, every placeholder is filled, the manifest is
//! standalone and names the SDK as asked, and an existing directory is never touched. Building
//! and running the generated crate is covered end to end (tests/e2e/authoring.rs).

use std::path::{Path, PathBuf};

use super::*;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

fn manifest(dir: &Path) -> toml::Table {
    toml::from_str(&std::fs::read_to_string(dir.join("Cargo.toml")).expect("read")).expect("generated TOML parses")
}

#[test]
fn kebab_case_ids_are_accepted_and_others_refused_with_the_reason() {
    for good in ["queue-depth", "a", "dlq2", "x-1-y", &"a".repeat(64)] {
        validate_id(good).unwrap_or_else(|e| panic!("{good}: {e}"));
    }
    for (bad, why) in [
        ("", "it is empty"),
        ("Queue", "contains 'Q'"),
        ("queue_depth", "contains '_'"),
        ("queue depth", "contains ' '"),
        ("../x", "contains '.'"),
        ("1queue", "does not start with a lowercase letter"),
        ("-queue", "does not start with a lowercase letter"),
        ("queue-", "no trailing or double"),
        ("queue--depth", "no trailing or double"),
        (&"a".repeat(65), "65 characters long"),
    ] {
        let text = validate_id(bad).expect_err(bad).to_string();
        assert!(text.contains(why) && text.contains("kebab-case"), "{bad}: {text}");
    }
}

#[test]
fn every_placeholder_is_filled() {
    let parent = tempfile::tempdir().expect("temp dir");
    let sdk = SdkSource::local(&repo().join("plugins/sdk")).expect("the repo's SDK");
    let created = new_check("queue-depth", parent.path(), &sdk).expect("scaffold");
    assert_eq!(created.files.len(), FILES.len());
    for file in &created.files {
        let text = std::fs::read_to_string(created.dir.join(file)).expect("read");
        assert!(!text.contains("{{") && !text.contains("}}"), "{file} keeps a placeholder:\n{text}");
    }
    let lib = std::fs::read_to_string(created.dir.join("src/lib.rs")).expect("read");
    assert!(lib.contains("pub struct QueueDepthCheck;") && lib.contains("\"queue-depth/ready-backlog\""), "{lib}");
    assert_eq!(created.wasm, "plumbline_check_queue_depth.wasm");
}

#[test]
fn the_manifest_is_standalone_and_names_the_sdk_as_asked() {
    let parent = tempfile::tempdir().expect("temp dir");
    let sdk = SdkSource::local(&repo().join("plugins/sdk")).expect("the repo's SDK");
    let created = new_check("by-path", parent.path(), &sdk).expect("scaffold");
    let toml = manifest(&created.dir);
    assert!(toml.contains_key("workspace"), "a workspace of its own");
    assert_eq!(toml["package"]["name"].as_str(), Some("plumbline-check-by-path"));
    let dependency = &toml["dependencies"]["plumbline-sdk"];
    let path = PathBuf::from(dependency["path"].as_str().expect("path dependency"));
    assert!(path.is_absolute() && path.join("Cargo.toml").is_file(), "{path:?}");

    let git = SdkSource::git("https://example.test/plumbline.git".into(), Some("v0.1.0".into())).expect("git");
    let created = new_check("by-git", parent.path(), &git).expect("scaffold");
    let toml = manifest(&created.dir);
    let dependency = &toml["dependencies"]["plumbline-sdk"];
    assert_eq!(dependency["git"].as_str(), Some("https://example.test/plumbline.git"));
    assert_eq!(dependency["rev"].as_str(), Some("v0.1.0"));

    let created =
        new_check("by-default", parent.path(), &SdkSource::default_git(None).expect("git")).expect("scaffold");
    let toml = manifest(&created.dir);
    assert_eq!(toml["dependencies"]["plumbline-sdk"]["git"].as_str(), Some(REPOSITORY));
    assert!(REPOSITORY.starts_with("https://"), "the workspace names its repository: {REPOSITORY:?}");
    let readme = std::fs::read_to_string(created.dir.join("README.md")).expect("read");
    assert!(readme.contains(REPOSITORY) && readme.contains("at its default branch"), "{readme}");
}

#[test]
fn an_existing_directory_is_never_overwritten() {
    let parent = tempfile::tempdir().expect("temp dir");
    let existing = parent.path().join("taken");
    std::fs::create_dir(&existing).expect("mkdir");
    std::fs::write(existing.join("Cargo.toml"), "mine").expect("write");
    let err = new_check("taken", parent.path(), &SdkSource::default_git(None).expect("git")).expect_err("refused");
    assert!(matches!(err, ScaffoldError::Exists(_)), "{err}");
    assert!(err.to_string().contains("already exists"), "{err}");
    assert_eq!(std::fs::read_to_string(existing.join("Cargo.toml")).expect("read"), "mine");
    assert_eq!(std::fs::read_dir(&existing).expect("list").count(), 1);
}

#[test]
fn an_sdk_path_must_hold_the_sdk() {
    let text = SdkSource::local(&repo().join("host")).expect_err("host is not the SDK").to_string();
    assert!(text.contains("not of plumbline-sdk"), "{text}");
    let text = SdkSource::local(Path::new("/nonexistent/sdk")).expect_err("missing").to_string();
    assert!(text.contains("cannot read /nonexistent/sdk/Cargo.toml"), "{text}");
    let text = SdkSource::git(" ".into(), None).expect_err("empty url").to_string();
    assert!(text.contains("--sdk-git"), "{text}");
}

#[test]
fn names_become_a_type_and_a_title() {
    assert_eq!(type_name("queue-depth"), "QueueDepthCheck");
    assert_eq!(type_name("self"), "SelfCheck");
    assert_eq!(title("queue-depth"), "Queue depth");
}
