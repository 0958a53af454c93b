//! End-to-end tests: they run the real `plumbline` binary, as a user would, and read its output
//! and exit code. Each test uses its own compile-cache directory.

mod audit;
mod authoring;
mod cache;
mod collect;
mod escapes;
mod examples;
mod formats;
mod history;
mod host_bounds;
mod html;
mod input;
mod limits;
mod live_setup;
mod packs;
mod python;
mod sandbox;
mod support;
mod suppress;
