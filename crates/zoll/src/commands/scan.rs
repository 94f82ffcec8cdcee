//! `zoll scan`: SBOM (from an image or a file), then matching against the offline database.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use fs_err as fs;
use zoll_formats::{RenderOptions, ScanFormat};
use zoll_scan::{IgnoreFile, ScanOptions, VexDocument};

use crate::cli::{GlobalArgs, ScanArgs};

pub(crate) fn run(args: ScanArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let dir = super::db::dir(&args.db)?;
    if args.update_db {
        super::db::update(&dir, &[], &args.registry.ca_certs, global)?;
    }
    // Open the database first: a missing one should stop the scan before any image is read.
    let db = zoll_db::Db::open(&dir)?;
    let now = super::now();
    let mut opts = ScanOptions::new(now);
    opts.min_severity = args.severity;
    opts.ignore_unfixed = args.ignore_unfixed;
    opts.max_db_age = Some(time::Duration::days(i64::from(args.db_max_age)));
    for v in &args.vex {
        opts.vex.push(VexDocument::load(v)?);
    }
    let ignore_path = args.ignore_file.clone().or_else(|| {
        let p = std::path::PathBuf::from(".zollignore");
        p.is_file().then_some(p)
    });
    if let Some(p) = ignore_path {
        opts.ignore = Some(IgnoreFile::load(&p)?);
    }
    let sbom = match (&args.sbom, &args.image) {
        (Some(file), _) => zoll_scan::read_sbom(file)?,
        (None, Some(image)) => {
            super::sbom::catalog(image, &args.image_opts, &args.registry, global)?
        }
        (None, None) => anyhow::bail!("give an IMAGE or --sbom FILE"),
    };
    let packages = sbom.packages.len();
    let started = std::time::Instant::now();
    let report = zoll_scan::scan(sbom, &db, &opts).context("matching failed")?;
    tracing::info!(
        "matched {packages} packages against {} advisories in {:.1} ms",
        db.advisories(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    for w in &report.warnings {
        tracing::warn!("{w}");
    }
    let mut render = RenderOptions::new(env!("CARGO_PKG_VERSION"), now);
    render.color =
        args.output.is_none() && args.format == ScanFormat::Table && crate::cli::stdout_color();
    match &args.output {
        Some(path) => {
            let mut buf = Vec::new();
            zoll_formats::write_report(&report, args.format, &render, &mut buf)?;
            fs::write(path, buf)?;
        }
        None => {
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            zoll_formats::write_report(&report, args.format, &render, &mut lock)?;
            lock.flush()?;
        }
    }
    // cosign's vulnerability predicate, with zoll's JSON report as the scanner result.
    super::seal::attest_document(&args.registry, &args.attach, "vuln", || {
        let mut doc = Vec::new();
        render.color = false;
        zoll_formats::write_report(&report, ScanFormat::Json, &render, &mut doc)?;
        let result: serde_json::Value = serde_json::from_slice(&doc)?;
        let stamp = now
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        Ok(serde_json::to_vec(&serde_json::json!({
            "invocation": {"parameters": null, "uri": "", "event_id": "", "builder.id": ""},
            "scanner": {
                "uri": "https://github.com/zoll/zoll",
                "version": env!("CARGO_PKG_VERSION"),
                "db": {"uri": "", "version": ""},
                "result": result,
            },
            "metadata": {"scanStartedOn": stamp, "scanFinishedOn": stamp},
        }))?)
    })?;
    if !report.findings.is_empty() && args.exit_code != 0 {
        return Ok(ExitCode::from(args.exit_code));
    }
    Ok(ExitCode::SUCCESS)
}
