//! `svs inspect`: what hidden information files carry.

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::Path;

use postern_scrub::{Category, Report};
use serde::Serialize;

use crate::SvsError;
use crate::cli::InspectArgs;
use crate::cmd::{Done, out_err};
use crate::output::escaped;
use crate::text::shown;

#[derive(Serialize)]
struct FileReport {
    file: String,
    #[serde(flatten)]
    report: Option<Report>,
    error: Option<String>,
}

pub(crate) fn run(args: &InspectArgs, out: &mut dyn Write) -> Result<Done, SvsError> {
    let mut reports = Vec::new();
    for path in &args.files {
        let file = shown(path);
        match inspect(path) {
            Ok(report) => reports.push(FileReport { file, report: Some(report), error: None }),
            Err(e) => reports.push(FileReport { file, report: None, error: Some(e) }),
        }
    }
    let failures = reports.iter().filter(|r| r.error.is_some()).count();
    if args.json {
        let text = serde_json::to_string_pretty(&reports).map_err(|e| out_err(e.into()))?;
        writeln!(out, "{text}").map_err(out_err)?;
    } else {
        for (i, r) in reports.iter().enumerate() {
            if i > 0 {
                writeln!(out).map_err(out_err)?;
            }
            print_human(r, out).map_err(out_err)?;
        }
    }
    Ok(Done::from_failures(failures))
}

fn inspect(path: &Path) -> Result<Report, String> {
    let file = File::open(path).map_err(|e| format!("cannot read it: {e}"))?;
    postern_scrub::inspect(BufReader::new(file)).map_err(|e| e.to_string())
}

fn print_human(r: &FileReport, out: &mut dyn Write) -> std::io::Result<()> {
    let Some(report) = &r.report else {
        return writeln!(out, "{}: FAILED: {}", r.file, escaped(r.error.as_deref().unwrap_or_default()));
    };
    let categories = report.categories();
    let summary = if categories.is_empty() {
        "nothing identifying found".to_owned()
    } else {
        format!(
            "{} finding(s) in {} categor{}",
            report.findings.len(),
            categories.len(),
            if categories.len() == 1 { "y" } else { "ies" }
        )
    };
    writeln!(out, "{}: {}, {}", r.file, report.format, summary)?;
    for category in Category::ALL {
        let found: Vec<_> = report.findings.iter().filter(|f| f.category == category).collect();
        if found.is_empty() {
            continue;
        }
        writeln!(out, "  {}:", category.describe())?;
        for f in found {
            let value = f.value.as_deref().map(|v| format!(" = {}", escaped(v))).unwrap_or_default();
            writeln!(out, "    {} ({}){}", escaped(&f.field), escaped(&f.place), value)?;
        }
    }
    for note in &report.unchecked {
        writeln!(out, "  not checked: {}", escaped(note))?;
    }
    match &report.not_cleanable {
        None => writeln!(out, "  svs scrub can clean it."),
        Some(reason) => writeln!(out, "  svs scrub cannot clean it: {}.", escaped(&reason.to_string())),
    }
}
