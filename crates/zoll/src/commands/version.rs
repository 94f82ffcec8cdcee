//! `zoll version sort`: order versions the way an ecosystem's own tool does.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use anyhow::Context;
use zoll_version::Version;

use crate::cli::VersionCommand;

pub(crate) fn run(cmd: VersionCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        VersionCommand::Sort { ecosystem } => {
            let stdin = std::io::stdin();
            let mut versions = Vec::new();
            for (i, line) in stdin.lock().lines().enumerate() {
                let line = line.with_context(|| format!("stdin line {}", i + 1))?;
                let text = line.trim_end_matches('\r');
                if text.trim().is_empty() {
                    continue;
                }
                let v = Version::parse(ecosystem, text)
                    .with_context(|| format!("stdin line {}", i + 1))?;
                versions.push(v);
            }
            // Stable: equal versions keep their input order.
            versions.sort();
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            let mut rank = 0usize;
            let mut prev: Option<&Version> = None;
            for v in &versions {
                if prev.is_none_or(|p| p != v) {
                    rank += 1;
                }
                writeln!(out, "{rank}\t{}", v.as_str())?;
                prev = Some(v);
            }
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
