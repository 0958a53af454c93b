//! Progress on a terminal while sources are read: one spinner line per source, ending with its
//! status and time. Hidden when stderr is not a terminal, when `CI` is set, or when the caller
//! asks for quiet; the same facts always go to `tracing` as well.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The set of progress lines of one collection (or none).
pub struct Progress {
    multi: Option<MultiProgress>,
}

impl Progress {
    /// Lines on stderr when it is a terminal and we are not in CI; otherwise hidden.
    pub fn on_terminal() -> Progress {
        let show = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        if show {
            Progress { multi: Some(MultiProgress::with_draw_target(ProgressDrawTarget::stderr())) }
        } else {
            Progress::hidden()
        }
    }

    pub fn hidden() -> Progress {
        Progress { multi: None }
    }

    /// A line for one source, spinning until [`SourceLine::finish`].
    pub fn source(&self, kind: &str, name: &str) -> SourceLine {
        let bar = self.multi.as_ref().map(|multi| {
            let bar = multi.add(ProgressBar::new_spinner());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {prefix:.bold} {wide_msg} {elapsed:>4}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_prefix(format!("{kind} {name}"));
            bar.set_message("reading…");
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        SourceLine { bar }
    }
}

/// One source's progress line.
pub struct SourceLine {
    bar: Option<ProgressBar>,
}

impl SourceLine {
    /// Ends the line with the source's outcome, e.g. `ok`, `read in part: …`, `unavailable: …`.
    pub fn finish(self, outcome: &str, elapsed: Duration) {
        if let Some(bar) = self.bar {
            bar.set_style(
                ProgressStyle::with_template("  {prefix:.bold} {wide_msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar.finish_with_message(format!("{outcome} ({:.1} s)", elapsed.as_secs_f64()));
        }
    }
}
