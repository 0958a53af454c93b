//! The HTML report (`--format html`) in a real browser: Debian's Chromium, headless
//! (`/usr/bin/chromium`, installed by scripts/setup.sh), renders the leaky example's report. The
//! screenshot must be the right size, not blank and show the severity colours; the DOM after the
//! script ran must have the chart, one card per finding, and filters that follow the URL
//! fragment. The file loads nothing from the network. Recorded runs (SQLite and PostgreSQL)
//! appear in the trend section; without a history the section is absent.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::*;

const CHROMIUM: &str = "/usr/bin/chromium";

/// `plumbline` with a private cache and no history from the environment.
fn audit(cache: &Path, args: &[&str]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_plumbline"));
    command
        .arg("audit")
        .args(args)
        .arg("--cache-dir")
        .arg(cache)
        .env_remove("PLUMBLINE_LOG")
        .env_remove("PLUMBLINE_HISTORY")
        .current_dir(repo_root());
    run(command)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs headless Chromium on `url` with `args`, in a fresh profile, at most two minutes; returns
/// its stdout.
fn chromium(url: &str, args: &[&str]) -> String {
    assert!(Path::new(CHROMIUM).exists(), "{CHROMIUM} is missing: apt-get install chromium (scripts/setup.sh does)");
    let profile = temp();
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--force-color-profile=srgb",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap_or_default());
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish within 2 minutes on {url}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let out = reader.join().unwrap_or_default();
    let err = child.stderr.take().map(|e| std::io::read_to_string(e).unwrap_or_default()).unwrap_or_default();
    assert!(status.success(), "chromium failed ({status}) on {url}:\n{err}");
    out
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// The start tags of the finding cards in a DOM dump: (severity, check, hidden).
fn cards(dom: &str) -> Vec<(String, String, bool)> {
    let attr = |tag: &str, name: &str| {
        let needle = format!(" {name}=\"");
        tag.find(&needle).map(|at| {
            let rest = &tag[at + needle.len()..];
            rest[..rest.find('"').unwrap()].to_string()
        })
    };
    dom.match_indices("<article ")
        .map(|(at, _)| &dom[at..at + dom[at..].find('>').unwrap()])
        .filter(|tag| attr(tag, "data-filter").as_deref() == Some("finding"))
        .map(|tag| {
            (
                attr(tag, "data-severity").unwrap(),
                attr(tag, "data-check").unwrap(),
                tag.contains(" hidden=\"\"") || tag.ends_with(" hidden"),
            )
        })
        .collect()
}

/// Fails when a `src`/`href`/`action` attribute or a CSS `url()` would load something.
fn assert_no_external_loads(html: &str) {
    let lower = html.to_ascii_lowercase();
    for attr in ["src=", "href=", "action=", "srcset=", "poster=", "data="] {
        for (at, _) in lower.match_indices(attr) {
            let value = lower[at + attr.len()..].trim_start_matches(['"', '\'']);
            assert!(
                !(value.starts_with("http:") || value.starts_with("https:") || value.starts_with("//")),
                "the report loads {}",
                &html[at..(at + 80).min(html.len())]
            );
        }
    }
    assert!(!lower.contains("url(") && !lower.contains("<link") && !lower.contains("@import"));
    assert!(html.contains(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; \
         script-src 'unsafe-inline'; img-src data:"
    ));
}

/// `#rrggbb` → RGB.
fn rgb(hex: &str) -> [u8; 3] {
    let channel = |i: usize| u8::from_str_radix(&hex[1 + 2 * i..3 + 2 * i], 16).unwrap();
    [channel(0), channel(1), channel(2)]
}

#[test]
fn the_leaky_estate_report_renders_in_chromium_and_filters_by_fragment() {
    let cache = temp();
    let dir = temp();
    let html_path = dir.path().join("report.html");
    let json_path = dir.path().join("report.json");
    // No --snapshot: the bundled leaky example.
    let run = audit(
        cache.path(),
        &["--format", &format!("html={}", html_path.display()), "--format", &format!("json={}", json_path.display())],
    );
    assert_eq!(run.code, 1, "the leaky estate fails the gate: {}", run.stderr);
    let report: Value = serde_json::from_str(&read(&json_path)).unwrap();
    let html = read(&html_path);
    assert_no_external_loads(&html);
    assert!(!html.contains("id=\"trend\""), "no history given: no trend section");
    let counted = report["summary"]["findings"].as_u64().unwrap() as usize;
    assert!(counted > 10, "the leaky estate has findings");

    // The DOM after the script ran.
    let dom = chromium(&file_url(&html_path), &["--dump-dom"]);
    assert!(dom.contains("<svg class=\"bars\""), "summary chart");
    assert!(dom.contains("<h1>Audit failed</h1>"));
    assert!(
        dom.contains(&format!("<p class=\"reason\">{}</p>", report["summary"]["gate"]["reason"].as_str().unwrap()))
    );
    assert!(dom.contains("<div id=\"filters\" class=\"filters\">"), "the script showed the filter bar");
    assert!(dom.contains(&format!("{counted} finding(s) shown")), "the script counted the findings");
    let all = cards(&dom);
    assert_eq!(all.len(), counted, "one card per finding");
    assert!(all.iter().all(|(_, _, hidden)| !hidden), "nothing hidden without a filter");
    for check in report["checks"].as_array().unwrap() {
        let id = check["id"].as_str().unwrap();
        let status = check["status"].as_str().unwrap();
        assert!(dom.contains(&format!("data-check=\"{id}\" data-status=\"{status}\"")), "check row {id}");
    }

    // #severity=critical hides every other finding.
    let dom = chromium(&format!("{}#severity=critical", file_url(&html_path)), &["--dump-dom"]);
    let all = cards(&dom);
    let critical = report["summary"]["by_severity"]["critical"].as_u64().unwrap() as usize;
    assert!(critical > 0);
    assert_eq!(all.iter().filter(|(_, _, hidden)| !hidden).count(), critical, "only critical findings shown");
    assert!(all.iter().all(|(severity, _, hidden)| *hidden == (severity != "critical")));
    assert!(dom.contains(&format!("{critical} of {counted} finding(s) shown")));

    // Filters combine: one check's findings at high severity, and its row only in the table.
    let dom = chromium(&format!("{}#severity=high&check=security", file_url(&html_path)), &["--dump-dom"]);
    let visible: Vec<(String, String, bool)> = cards(&dom).into_iter().filter(|(_, _, hidden)| !hidden).collect();
    let expected = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["id"] == "security")
        .flat_map(|c| c["findings"].as_array().unwrap().iter())
        .filter(|f| f["severity"] == "high" && f.get("suppression").is_none())
        .count();
    assert!(expected > 0, "the leaky estate has high security findings");
    assert_eq!(visible.len(), expected);
    assert!(visible.iter().all(|(severity, check, _)| severity == "high" && check == "security"));
    let checks = report["checks"].as_array().unwrap().len();
    assert!(dom.contains(&format!("1 of {checks} check(s) shown")), "the checks table shows one row");

    // The screenshot: the right size, not blank, the severity colours of the findings present.
    let png_path = dir.path().join("report.png");
    chromium(&file_url(&html_path), &[&format!("--screenshot={}", png_path.display()), "--window-size=1280,2000"]);
    let decoder = png::Decoder::new(std::fs::File::open(&png_path).expect("a screenshot"));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).expect("PNG pixels");
    assert_eq!((info.width, info.height), (1280, 2000));
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    let channels = info.color_type.samples();
    assert!(channels >= 3, "{:?}", info.color_type);
    let mut colours: HashMap<[u8; 3], usize> = HashMap::new();
    for px in pixels[..info.buffer_size()].chunks_exact(channels) {
        *colours.entry([px[0], px[1], px[2]]).or_default() += 1;
    }
    let total = (info.width * info.height) as usize;
    let commonest = colours.values().max().copied().unwrap_or(0);
    assert!(colours.len() > 200, "only {} colours: blank?", colours.len());
    assert!(commonest < total * 3 / 4, "one colour covers {commonest} of {total} pixels");
    let near = |want: [u8; 3]| -> usize {
        colours.iter().filter(|(c, _)| c.iter().zip(want).all(|(a, b)| a.abs_diff(b) <= 6)).map(|(_, n)| n).sum()
    };
    for (name, hex) in
        [("critical", "#c92a2a"), ("high", "#f76707"), ("medium", "#f5b800"), ("low", "#1c7ed6"), ("info", "#868e96")]
    {
        if report["summary"]["by_severity"][name].as_u64().unwrap() > 0 {
            assert!(near(rgb(hex)) > 400, "{name} ({hex}) is not on the screenshot: {} px", near(rgb(hex)));
        }
    }
    // The verdict banner is red: a failing audit cannot look green.
    assert!(near(rgb("#2f9e44")) < near(rgb("#c92a2a")));
}

/// Records the leaky then the healthy estate into `history` and checks the trend of the second
/// report; then renders without `--record` and checks this run is added.
fn trend_across_two_runs(history: &str) {
    let cache = temp();
    let dir = temp();
    let leaky = example("leaky-estate");
    let healthy = example("healthy-estate");
    let first_html = dir.path().join("first.html");
    let second_html = dir.path().join("second.html");
    let first = audit(
        cache.path(),
        &["-s", &leaky, "--record", "--history", history, "--format", &format!("html={}", first_html.display())],
    );
    assert_eq!(first.code, 1, "{}", first.stderr);
    let second = audit(
        cache.path(),
        &[
            "-s",
            &healthy,
            "--record",
            "--history",
            history,
            "--format",
            &format!("html={}", second_html.display()),
            "--format",
            "json",
        ],
    );
    assert_eq!(second.code, 0, "{}", second.stderr);
    let ids: Vec<i64> = [&first.stderr, &second.stderr]
        .iter()
        .map(|stderr| {
            let at = stderr.find("recorded run ").expect("recorded") + "recorded run ".len();
            stderr[at..].split_whitespace().next().unwrap().parse().unwrap()
        })
        .collect();

    // The first report already has a trend (of one run) and says there is nothing to compare yet.
    let html = read(&first_html);
    assert!(html.contains("id=\"trend\"") && html.contains("No earlier run is recorded yet"));

    let html = read(&second_html);
    assert_no_external_loads(&html);
    assert!(!html.contains("pw-canary"), "a history password reached the page");
    let at = html.find("id=\"trend\"").expect("a trend section");
    let trend = &html[at..at + html[at..].find("</section>").unwrap()];
    assert!(trend.contains("last 2 run(s)"), "{trend}");
    assert_eq!(trend.matches("<svg class=\"columns\"").count(), 2);
    let leaky_critical = {
        let json = audit(cache.path(), &["-s", &leaky, "--format", "json"]).json();
        json["summary"]["by_severity"]["critical"].as_u64().unwrap()
    };
    assert!(leaky_critical > 0);
    // Table rows, newest first: the healthy run (marked as this run), then the leaky one.
    let row = |id: i64| {
        let start = trend.find(&format!("<td>#{id}</td>")).unwrap_or_else(|| panic!("no row for run {id}: {trend}"));
        &trend[start..start + trend[start..].find("</tr>").unwrap()]
    };
    assert!(row(ids[1]).contains("passed") && row(ids[0]).contains("failed"));
    assert!(row(ids[0]).contains(&format!("<td class=\"num\">{leaky_critical}</td>")), "{}", row(ids[0]));
    assert!(row(ids[0]).contains("leaky-estate/snapshot.json") && row(ids[1]).contains("healthy-estate/snapshot.json"));
    assert!(
        trend.find(&format!("<td>#{}</td>", ids[1])).unwrap() < trend.find(&format!("<td>#{}</td>", ids[0])).unwrap()
    );
    let marked = &trend[trend.find("<tr class=\"current\">").expect("this run is marked")..];
    assert!(marked.starts_with(&format!("<tr class=\"current\"><td>#{}</td>", ids[1])), "{marked}");

    // Without --record, the history is read and this run is the last column, not recorded.
    let third_html = dir.path().join("third.html");
    let third = audit(
        cache.path(),
        &["-s", &leaky, "--history", history, "--format", &format!("html={}", third_html.display())],
    );
    assert_eq!(third.code, 1, "{}", third.stderr);
    assert!(!third.stderr.contains("recorded run"), "{}", third.stderr);
    let html = read(&third_html);
    assert!(html.contains("last 3 run(s)") && html.contains("<tr class=\"current\"><td>this run</td>"));
    // In the browser, the trend's SVG columns are there: two runs and this one, in both charts.
    let dom = chromium(&file_url(&third_html), &["--dump-dom"]);
    assert_eq!(dom.matches("<g class=\"col").count(), 6, "three columns in each of the two charts");
}

#[test]
fn recorded_runs_appear_in_the_trend_on_sqlite() {
    let dir = temp();
    let history = dir.path().join("history.sqlite");
    trend_across_two_runs(history.to_str().unwrap());
}

#[test]
fn recorded_runs_appear_in_the_trend_on_postgres() {
    let schema = TestSchema::new("plumbline_html");
    // Trust auth ignores the passwords; neither may reach the page.
    let url = format!("{}&password=pw-canary-query", schema.url("postgres:pw-canary-userinfo@"));
    trend_across_two_runs(&url);
}

#[test]
fn an_unreadable_history_does_not_stop_the_report() {
    let cache = temp();
    let dir = temp();
    let html_path = dir.path().join("report.html");
    let missing = dir.path().join("none.sqlite");
    let run = audit(
        cache.path(),
        &["--history", missing.to_str().unwrap(), "--format", &format!("html={}", html_path.display())],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(!missing.exists(), "reading the trend must not create the history");
    let html = read(&html_path);
    assert!(html.contains("id=\"trend\"") && html.contains("No earlier run is recorded yet"));

    let not_sqlite = dir.path().join("notes.txt");
    std::fs::write(&not_sqlite, "not a database ".repeat(100)).unwrap();
    let run = audit(
        cache.path(),
        &["--history", not_sqlite.to_str().unwrap(), "--format", &format!("html={}", html_path.display())],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let html = read(&html_path);
    assert!(html.contains("The history could not be read:") && html.contains("notes.txt"), "the reason is shown");
}
