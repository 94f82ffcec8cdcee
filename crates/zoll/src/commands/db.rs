//! `zoll db update|status|export|import`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use zoll_db::{HttpOptions, Source, UpdateOptions, UpdateProgress};

use crate::cli::{DbCommand, DbDirArgs, GlobalArgs};

/// The database directory from `--db-dir`/`ZOLL_DB_DIR`, else the default.
pub(crate) fn dir(args: &DbDirArgs) -> anyhow::Result<PathBuf> {
    args.db_dir.clone().or_else(zoll_db::default_dir).context(
        "no database directory: set --db-dir or ZOLL_DB_DIR (no cache directory is known for this user)",
    )
}

struct Spinner(ProgressBar);

impl UpdateProgress for Spinner {
    fn source_started(&self, source: &Source) {
        self.0.set_message(format!("reading {source}"));
    }
    fn entries(&self, imported: u64) {
        self.0.set_position(imported);
    }
}

/// Run `zoll db update` with `sources` (default: osv.dev) into `dir`, reporting on stderr.
pub(crate) fn update(
    dir: &std::path::Path,
    sources: &[String],
    ca_certs: &[PathBuf],
    global: &GlobalArgs,
) -> anyhow::Result<()> {
    let sources = if sources.is_empty() {
        vec![Source::Url(zoll_db::DEFAULT_SOURCE.to_owned())]
    } else {
        sources
            .iter()
            .map(|s| s.parse::<Source>())
            .collect::<Result<Vec<_>, _>>()?
    };
    let bar = if !global.quiet && std::io::stderr().is_terminal() {
        let b = ProgressBar::new_spinner();
        b.set_style(
            ProgressStyle::with_template("{spinner} {pos:>7} advisories  {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        b.enable_steady_tick(std::time::Duration::from_millis(120));
        b
    } else {
        ProgressBar::hidden()
    };
    let spinner = Spinner(bar);
    let opts = UpdateOptions {
        sources,
        http: HttpOptions {
            ca_certs: ca_certs.to_vec(),
            timeout: None,
        },
        progress: Some(&spinner),
        now: super::now(),
    };
    let started = Instant::now();
    let report = zoll_db::update(dir, &opts);
    spinner.0.finish_and_clear();
    let report = report.context("database update failed; the current database is unchanged")?;
    for p in &report.problems {
        tracing::warn!("skipped {p}");
    }
    if !global.quiet {
        eprintln!(
            "imported {} advisories ({} withdrawn, {} skipped) into {} ({:.1} MiB) in {:.2?}",
            report.advisories,
            report.withdrawn,
            report.problems.len(),
            report.path.display(),
            report.bytes as f64 / 1048576.0,
            started.elapsed()
        );
    }
    Ok(())
}

pub(crate) fn run(cmd: DbCommand, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    match cmd {
        DbCommand::Update(args) => {
            update(&dir(&args.db)?, &args.sources, &args.ca_certs, global)?;
        }
        DbCommand::Status(args) => {
            let dir = dir(&args.db)?;
            let db = zoll_db::Db::open(&dir)?;
            let st = db.status()?;
            let age = db.age(super::now());
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            if args.format == "json" {
                let mut v = serde_json::to_value(&st)?;
                if let Some(a) = age {
                    v["age_seconds"] = serde_json::json!(a.whole_seconds());
                }
                serde_json::to_writer_pretty(&mut out, &v)?;
                writeln!(out)?;
            } else {
                writeln!(out, "database    {}", st.path.display())?;
                writeln!(out, "schema      {}", st.schema)?;
                let age = age.map_or_else(String::new, |a| {
                    if a.whole_days() > 0 {
                        format!(" ({} days ago)", a.whole_days())
                    } else {
                        format!(" ({} hours ago)", a.whole_hours())
                    }
                });
                writeln!(out, "built       {}{age}", st.built_at)?;
                writeln!(
                    out,
                    "advisories  {} ({} withdrawn)",
                    st.advisories, st.withdrawn
                )?;
                writeln!(out, "size        {:.1} MiB", st.bytes as f64 / 1048576.0)?;
                writeln!(out, "\nSOURCE{:>60}", "ADVISORIES  SKIPPED")?;
                for s in &st.sources {
                    writeln!(out, "{:<54}{:>11}{:>9}", s.source, s.advisories, s.skipped)?;
                }
                writeln!(out, "\nECOSYSTEM{:>25}", "ADVISORIES")?;
                for e in &st.ecosystems {
                    writeln!(out, "{:<24}{:>10}", e.ecosystem, e.advisories)?;
                }
            }
        }
        DbCommand::Export { file, db } => {
            let bytes = zoll_db::export(&dir(&db)?, &file)?;
            if !global.quiet {
                eprintln!(
                    "wrote {} ({:.1} MiB)",
                    file.display(),
                    bytes as f64 / 1048576.0
                );
            }
        }
        DbCommand::Import { file, db } => {
            let st = zoll_db::import(&file, &dir(&db)?)?;
            if !global.quiet {
                eprintln!(
                    "installed {} advisories built {} into {}",
                    st.advisories,
                    st.built_at,
                    st.path.display()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
