//! Images, embedded in the page so it needs nothing beside it.
//!
//! A local image becomes a `data:` URL. An image that has a JSON file of the
//! same name beside it (the bench's `bench-reference.svg` and
//! `bench-reference.json`) gets a caption with the run's `date` and
//! `machine`. An image that does not exist yet renders as a box that says
//! how to make it, with a warning, rather than failing the whole deck.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::SlidesError;
use crate::escape::escape;

/// Images that a command makes, and how to make each.
const GENERATED: &[(&str, &str)] = &[(
    "bench-reference.svg",
    "run <code>cargo xtask bench</code>, then copy <code>target/bench/bench.svg</code> and <code>target/bench/bench.json</code> to <code>slides/assets/bench-reference.svg</code> and <code>slides/assets/bench-reference.json</code>",
)];

/// Where an image is, for messages.
pub struct Origin<'a> {
    pub deck: &'a Path,
    pub base: &'a Path,
    pub slide: usize,
}

impl Origin<'_> {
    fn error(&self, url: &str, message: String) -> SlidesError {
        SlidesError::Image {
            path: self.deck.to_path_buf(),
            slide: self.slide,
            url: url.to_string(),
            message,
        }
    }
}

fn mime(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        _ => return None,
    })
}

/// The HTML for the image `url` with its `alt` text.
pub fn figure(
    url: &str,
    alt: &str,
    origin: &Origin<'_>,
    warnings: &mut Vec<String>,
) -> Result<String, SlidesError> {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("data:") {
        return Ok(img(url, alt));
    }
    if lower.contains("://") || lower.starts_with("//") {
        return Err(SlidesError::RemoteImage {
            path: origin.deck.to_path_buf(),
            slide: origin.slide,
            url: url.to_string(),
        });
    }
    let path = origin.base.join(url);
    let mime = mime(&path).ok_or_else(|| {
        origin.error(
            url,
            "unknown image type: use .svg, .png, .jpg, .gif or .webp".into(),
        )
    })?;
    let bytes = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            return Ok(missing(url, alt, &path, origin, warnings));
        }
        Err(err) => return Err(origin.error(url, format!("cannot read {}: {err}", path.display()))),
    };
    let data = format!("data:{mime};base64,{}", STANDARD.encode(bytes));
    let caption = match caption(&path.with_extension("json")) {
        Ok(caption) => caption,
        Err(message) => return Err(origin.error(url, message)),
    };
    Ok(match caption {
        Some(caption) => format!(
            "<figure>{}<figcaption>{}</figcaption></figure>",
            img(&data, alt),
            escape(&caption)
        ),
        None => format!("<figure>{}</figure>", img(&data, alt)),
    })
}

fn img(src: &str, alt: &str) -> String {
    format!("<img src=\"{}\" alt=\"{}\">", escape(src), escape(alt))
}

fn missing(
    url: &str,
    alt: &str,
    path: &Path,
    origin: &Origin<'_>,
    warnings: &mut Vec<String>,
) -> String {
    let name = path
        .file_name()
        .and_then(|name| name.to_str())
        .unwrap_or("");
    let how = GENERATED
        .iter()
        .find(|(generated, _)| *generated == name)
        .map(|(_, how)| (*how).to_string())
        .unwrap_or_else(|| "add the file, or fix the path".to_string());
    warnings.push(format!(
        "{}, slide {}: {} is not there ({}): the slide shows a placeholder",
        origin.deck.display(),
        origin.slide,
        url,
        display(path)
    ));
    format!(
        "<figure class=\"placeholder\" role=\"img\" aria-label=\"{alt}\"><p><strong>Not made yet:</strong> <code>{url}</code></p><p>{how}.</p></figure>",
        alt = escape(alt),
        url = escape(url),
    )
}

/// A path as a person would type it: without `./` noise.
fn display(path: &Path) -> String {
    let clean: PathBuf = path
        .components()
        .filter(|part| !matches!(part, std::path::Component::CurDir))
        .collect();
    clean.display().to_string()
}

/// "Reference run: <date>, <machine>" from the JSON beside an image, if
/// there is one. Errors are messages: the JSON is there but unreadable.
fn caption(json: &Path) -> Result<Option<String>, String> {
    let text = match fs::read_to_string(json) {
        Ok(text) => text,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(format!("cannot read {}: {err}", json.display())),
    };
    let value: Value = serde_json::from_str(&text)
        .map_err(|err| format!("{} is not valid JSON: {err}", json.display()))?;
    let date = value.get("date").map(day).filter(|date| !date.is_empty());
    let machine = value
        .get("machine")
        .map(machine)
        .filter(|machine| !machine.is_empty());
    Ok(Some(match (date, machine) {
        (Some(date), Some(machine)) => format!("Reference run of {date}, on {machine}"),
        (Some(date), None) => format!("Reference run of {date} (machine not recorded)"),
        (None, Some(machine)) => format!("Reference run on {machine} (date not recorded)"),
        (None, None) => "Reference run (date and machine not recorded)".to_string(),
    }))
}

/// The day of an RFC 3339 date-time (`2026-11-27T08:00:00Z`): the time of
/// day says nothing to an audience.
fn day(value: &Value) -> String {
    let text = flat(value);
    match text.get(..10) {
        Some(day) if text.as_bytes().get(10) == Some(&b'T') => day.to_string(),
        _ => text,
    }
}

/// The bench's machine (`{"cpu", "cores", "os", "arch", "os_version"}`) as
/// a person says it: `AMD EPYC 7B13, 2 cores, linux x86_64 (Debian 12)`.
/// Any other shape is shown as it is.
fn machine(value: &Value) -> String {
    let text = |key: &str| value.get(key).map(flat).filter(|text| !text.is_empty());
    let Some(cpu) = text("cpu") else {
        return flat(value);
    };
    let mut parts = vec![cpu];
    if let Some(cores) = text("cores") {
        parts.push(format!("{cores} cores"));
    }
    let system: Vec<_> = ["os", "arch"].into_iter().filter_map(text).collect();
    if !system.is_empty() {
        let mut system = system.join(" ");
        if let Some(version) = text("os_version") {
            system.push_str(&format!(" ({version})"));
        }
        parts.push(system);
    }
    parts.join(", ")
}

/// A JSON value as one line of text: strings as they are, objects as
/// `key value, key value`.
fn flat(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        Value::Array(items) => items.iter().map(flat).collect::<Vec<_>>().join(", "),
        Value::Object(fields) => fields
            .iter()
            .map(|(key, value)| format!("{key} {}", flat(value)))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(base: &Path) -> Origin<'_> {
        Origin {
            deck: Path::new("slides/part3.md"),
            base,
            slide: 7,
        }
    }

    #[test]
    fn a_local_image_is_inlined_with_its_caption() {
        let dir = tempfile::tempdir().expect("a temp dir");
        fs::write(dir.path().join("chart.svg"), "<svg/>").expect("write");
        fs::write(
            dir.path().join("chart.json"),
            r#"{"date":"2026-11-27","machine":{"ram":"8 GB","gpu":1}}"#,
        )
        .expect("write");
        let mut warnings = Vec::new();
        let html =
            figure("chart.svg", "Results", &origin(dir.path()), &mut warnings).expect("renders");
        assert!(
            html.contains("src=\"data:image/svg+xml;base64,PHN2Zy8+\""),
            "{html}"
        );
        assert!(
            html.contains(
                "<figcaption>Reference run of 2026-11-27, on gpu 1, ram 8 GB</figcaption>"
            ),
            "{html}"
        );
        assert!(warnings.is_empty());
    }

    #[test]
    fn the_bench_report_gives_the_day_and_the_machine() {
        let report = serde_json::json!({
            "date": "2026-11-27T08:15:00Z",
            "machine": {"cpu": "AMD EPYC 7B13", "cores": 2, "os": "linux", "arch": "x86_64", "os_version": "Debian 12"},
        });
        let dir = tempfile::tempdir().expect("a temp dir");
        let json = dir.path().join("bench.json");
        fs::write(&json, report.to_string()).expect("write");
        assert_eq!(
            caption(&json),
            Ok(Some(
                "Reference run of 2026-11-27, on AMD EPYC 7B13, 2 cores, linux x86_64 (Debian 12)"
                    .into()
            ))
        );
    }

    #[test]
    fn a_missing_bench_chart_says_how_to_make_it() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let mut warnings = Vec::new();
        let html = figure(
            "assets/bench-reference.svg",
            "Results",
            &origin(dir.path()),
            &mut warnings,
        )
        .expect("renders a placeholder");
        assert!(html.contains("cargo xtask bench"), "{html}");
        assert!(html.contains("class=\"placeholder\""), "{html}");
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("slide 7"), "{warnings:?}");
    }

    #[test]
    fn remote_images_are_refused() {
        let mut warnings = Vec::new();
        let err = figure(
            "https://example.com/a.png",
            "",
            &origin(Path::new(".")),
            &mut warnings,
        )
        .unwrap_err();
        assert!(err.to_string().contains("offline"), "{err}");
    }

    #[test]
    fn broken_json_is_an_error() {
        let dir = tempfile::tempdir().expect("a temp dir");
        fs::write(dir.path().join("c.svg"), "<svg/>").expect("write");
        fs::write(dir.path().join("c.json"), "{").expect("write");
        let err = figure("c.svg", "", &origin(dir.path()), &mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains("not valid JSON"), "{err}");
    }
}
