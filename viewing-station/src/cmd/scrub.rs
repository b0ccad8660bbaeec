//! `svs scrub`: cleaned copies in another directory; inputs are only read.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

use postern_scrub::ScrubOutcome;

use crate::SvsError;
use crate::cli::ScrubArgs;
use crate::cmd::{Done, out_err};
use crate::output::{self, Table, escaped};
use crate::text::shown;

pub(crate) fn run(args: &ScrubArgs, out: &mut dyn Write) -> Result<Done, SvsError> {
    output::ensure_dir(&args.out)?;
    let mut table = Table::new(vec!["FILE", "WROTE", "RESULT"]);
    let mut details = Vec::new();
    let mut failures = 0;
    for path in &args.files {
        match scrub_one(path, &args.out) {
            Ok((wrote, outcome, renamed)) => {
                let mut result = summary(&outcome);
                if renamed {
                    result.push_str("; a file of that name existed, so it was not replaced");
                }
                table.row(vec![shown(path), wrote, result]);
                details.push((shown(path), outcome));
            }
            Err(e) => {
                failures += 1;
                table.row(vec![shown(path), "-".to_owned(), format!("NOT CLEANED: {}", escaped(&e))]);
            }
        }
    }
    table.print(out).map_err(out_err)?;
    if args.report {
        for (file, outcome) in details {
            writeln!(out, "\n{file}:").map_err(out_err)?;
            for f in &outcome.removed {
                let value = f.value.as_deref().map(|v| format!(" = {}", escaped(v))).unwrap_or_default();
                writeln!(out, "  removed {}: {} ({}){}", f.category, escaped(&f.field), escaped(&f.place), value)
                    .map_err(out_err)?;
            }
            for f in &outcome.kept {
                let value = f.value.as_deref().map(|v| format!(" = {}", escaped(v))).unwrap_or_default();
                writeln!(out, "  kept {}{}", escaped(&f.field), value).map_err(out_err)?;
            }
        }
    }
    if failures > 0 {
        writeln!(out, "{failures} file(s) were not cleaned; do not publish them as they are.").map_err(out_err)?;
    }
    Ok(Done::from_failures(failures))
}

fn summary(outcome: &ScrubOutcome) -> String {
    let categories = outcome.removed_categories();
    let mut text = if categories.is_empty() {
        "clean; nothing identifying found".to_owned()
    } else {
        format!("removed {}", categories.iter().map(|c| c.key()).collect::<Vec<_>>().join(", "))
    };
    if !outcome.kept.is_empty() {
        text.push_str("; kept orientation");
    }
    text
}

fn scrub_one(path: &Path, dir: &Path) -> Result<(String, ScrubOutcome, bool), String> {
    let input = File::open(path).map_err(|e| format!("cannot read it: {e}"))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let (safe, _) = output::safe_name(name.as_bytes());
    let temp = output::temp_in(dir).map_err(|e| format!("cannot write to the output directory: {e}"))?;
    let mut writer = BufWriter::new(temp);
    let outcome = postern_scrub::scrub(BufReader::new(input), &mut writer).map_err(|e| e.to_string())?;
    let temp = writer.into_inner().map_err(|e| format!("cannot write the copy: {}", e.error()))?;
    temp.as_file().sync_all().map_err(|e| format!("cannot write the copy: {e}"))?;
    let (written, renamed) = output::persist_new(temp, dir, &safe).map_err(|e| format!("cannot save the copy: {e}"))?;
    Ok((shown(&written), outcome, renamed))
}
