//! The HTML report (`rollsim run --html FILE`) opened in a real browser: headless
//! Chromium (Debian's `chromium` package) loads it from a file, renders it (figures
//! included) and takes a screenshot, which must not be blank.
//!
//! Where no Chromium is installed the test says "skipped: no chromium" and passes,
//! unless `ROLLSIM_REQUIRE_BROWSER=1` (as `.ci/run` sets it, after installing the
//! package), where a missing browser fails it.

mod common;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

/// Longest a browser may take to render the page.
const BROWSER_DEADLINE: Duration = Duration::from_secs(120);

/// The first Chromium on the PATH.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Runs the browser with `args`, stdout to `out`, within the deadline.
fn browse(browser: &Path, profile: &Path, args: &[String], out: &Path) {
    let profile = format!("--user-data-dir={}", profile.display());
    let mut all = vec![
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--hide-scrollbars",
        profile.as_str(),
    ];
    all.extend(args.iter().map(String::as_str));
    let (code, stderr) = common::run_within_deadline_to(
        browser.to_str().unwrap(),
        &all,
        Stdio::from(File::create(out).unwrap()),
        BROWSER_DEADLINE,
    );
    assert_eq!(code, Some(0), "the browser failed: {args:?}\n{stderr}");
}

/// The RGB(A) pixels of the PNG at `path`: (pixels as [r, g, b], width, height).
fn pixels(path: &Path) -> (Vec<[u8; 3]>, u32, u32) {
    let decoder = png::Decoder::new(std::io::BufReader::new(File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buffer = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buffer).unwrap();
    let channels = info.color_type.samples();
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    assert!(channels >= 3, "a colour screenshot: {:?}", info.color_type);
    let rgb = buffer[..info.buffer_size()]
        .chunks(channels)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    (rgb, info.width, info.height)
}

#[test]
fn the_html_report_renders_in_a_real_browser() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var("ROLLSIM_REQUIRE_BROWSER").as_deref() != Ok("1"),
            "ROLLSIM_REQUIRE_BROWSER=1 but no chromium on the PATH"
        );
        println!("skipped: no chromium");
        return;
    };
    let dir = std::env::temp_dir().join(format!("rollsim-browser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let report = dir.join("report.html");
    let output = assert_cmd::Command::cargo_bin("rollsim")
        .unwrap()
        .args([
            "run",
            concat!(env!("CARGO_MANIFEST_DIR"), "/models/quickstart.toml"),
            "--set",
            "rollout.release.error_rate=0.05",
            "--html",
            report.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let url = format!("file://{}", report.display());
    let profile = dir.join("profile");

    // The browser's own DOM holds the report's parts, figures as SVG elements.
    let dom = dir.join("dom.html");
    browse(
        &browser,
        &profile,
        &["--dump-dom".into(), url.clone()],
        &dom,
    );
    let dom = std::fs::read_to_string(dom).unwrap();
    for part in [
        "The model",
        "Timeline",
        "bake check: fail",
        "peak_instances_ratio",
        "<svg",
    ] {
        assert!(dom.contains(part), "the rendered DOM lacks {part:?}");
    }

    // A screenshot of the top of the page (headings, tables, the start of the figure).
    let shot = dir.join("shot.png");
    browse(
        &browser,
        &profile,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,2400".into(),
            url,
        ],
        &dir.join("screenshot.log"),
    );
    let (rgb, width, height) = pixels(&shot);
    assert_eq!((width, height), (1280, 2400));
    let luma: Vec<f64> = rgb
        .iter()
        .map(|p| 0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]))
        .collect();
    let mean = luma.iter().sum::<f64>() / luma.len() as f64;
    let variance = luma.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / luma.len() as f64;
    let inked = luma.iter().filter(|l| **l < 200.0).count() as f64 / luma.len() as f64;
    // The figure's colours (the phases' shading, the lines, the checks' red crosses).
    let coloured = rgb
        .iter()
        .filter(|p| p.iter().max().unwrap() - p.iter().min().unwrap() > 60)
        .count() as f64
        / rgb.len() as f64;
    assert!(
        variance > 100.0,
        "a blank screenshot: luma variance {variance:.1}"
    );
    assert!(
        inked > 0.01,
        "hardly any text or lines: {:.3}% dark",
        100.0 * inked
    );
    assert!(
        coloured > 0.01,
        "no figure in colour: {:.3}% coloured",
        100.0 * coloured
    );
    println!(
        "rendered by {}: luma variance {variance:.0}, {:.1}% dark, {:.1}% coloured",
        browser.display(),
        100.0 * inked,
        100.0 * coloured
    );
}
