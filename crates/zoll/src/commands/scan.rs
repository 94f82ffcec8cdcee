//! `zoll scan`: one pass over an image for every scanner (vulnerabilities through the SBOM and
//! the offline database, secrets and malware inside the layer walk, configuration checks over the
//! config and the stacked facts), or config files (`config:PATH`), then one report.
//! `zoll lint` is the config-file half on its own.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Mutex;

use anyhow::Context;
use fs_err as fs;
use zoll_core::{CheckFinding, DbInfo, Sbom, Scanner, Severity, Target, VulnReport};
use zoll_formats::{RenderOptions, ScanFormat};
use zoll_scan::{IgnoreFile, ScanOptions, VexDocument};

use super::checks::{Malware, Secrets};
use crate::cli::{GlobalArgs, LintArgs, ScanArgs, ScanTarget};

/// The scanners to run: the user's list, else the default (plus malware when an engine is given).
fn scanners(args: &ScanArgs) -> anyhow::Result<Vec<Scanner>> {
    let engine =
        args.clamd.is_some() || args.yara_rules.is_some() || args.malware_blocklist.is_some();
    let mut list: Vec<Scanner> = if args.scanners.is_empty() {
        let mut d = vec![Scanner::Vuln, Scanner::Secret, Scanner::Config];
        if engine {
            d.push(Scanner::Malware);
        }
        d
    } else {
        args.scanners.clone()
    };
    list.sort();
    list.dedup();
    if list.contains(&Scanner::Malware) && !engine {
        anyhow::bail!(
            "the malware scanner needs an engine: give --clamd ADDR, --yara-rules DIR or --malware-blocklist FILE"
        );
    }
    let explicit = !args.scanners.is_empty();
    match &args.image {
        Some(ScanTarget::Config(_)) => {
            if explicit && list.iter().any(|s| *s != Scanner::Config) {
                anyhow::bail!("config:PATH is read by the config scanner only (--scanners config)");
            }
            list = vec![Scanner::Config];
        }
        None if args.sbom.is_some() => {
            if explicit && list.iter().any(|s| *s != Scanner::Vuln) {
                anyhow::bail!(
                    "--sbom FILE has no files or image config to look at: only the vuln scanner runs on it"
                );
            }
            list = vec![Scanner::Vuln];
        }
        _ => {}
    }
    Ok(list)
}

fn secret_detector(args: &ScanArgs) -> anyhow::Result<zoll_secrets::Detector> {
    let mut config = match &args.secret_config {
        Some(p) => {
            let text = fs::read_to_string(p)?;
            zoll_secrets::SecretConfig::parse(&text, &p.display().to_string())?
        }
        None => zoll_secrets::SecretConfig::default(),
    };
    if args.secrets_in_binaries {
        config.scan_binary = true;
    }
    Ok(zoll_secrets::Detector::new(&config)?)
}

fn malware_engines(args: &ScanArgs) -> anyhow::Result<zoll_malware::Engines> {
    let config = zoll_malware::MalwareConfig {
        clamd: args.clamd.clone(),
        yara_dir: args.yara_rules.clone(),
        blocklist: args.malware_blocklist.clone(),
        ..zoll_malware::MalwareConfig::default()
    };
    let engines = zoll_malware::Engines::open(&config).context("malware scanner")?;
    for d in engines.describe() {
        tracing::info!("malware engine: {d}");
    }
    Ok(engines)
}

/// The names an image goes by, for the `latest` check: its tags, and a registry reference with
/// the tag it implies.
fn image_names(target: &Target) -> Vec<String> {
    let mut names = target.tags.clone();
    if target.kind == "registry" {
        let last = target.input.rsplit('/').next().unwrap_or_default();
        if !target.input.contains('@') && !last.contains(':') {
            names.push(format!("{}:latest", target.input));
        } else {
            names.push(target.input.clone());
        }
    }
    names
}

/// An empty report for targets without an SBOM to match (config files, no vuln scanner).
fn empty_report(sbom: Sbom) -> VulnReport {
    VulnReport {
        sbom,
        db: DbInfo::default(),
        findings: Vec::new(),
        suppressed: Vec::new(),
        filtered: 0,
        warnings: Vec::new(),
        scanners: Vec::new(),
        checks: Vec::new(),
        workloads: Vec::new(),
    }
}

fn config_sbom(input: String) -> Sbom {
    Sbom {
        target: Target {
            input,
            kind: "config".to_owned(),
            manifest_digest: None,
            config_digest: None,
            platform: None,
            layers: Vec::new(),
            tags: Vec::new(),
        },
        distro: None,
        packages: Vec::new(),
        diagnostics: Vec::new(),
    }
}

/// Keep checks at or above `min`; returns how many were dropped.
fn filter_checks(checks: &mut Vec<CheckFinding>, min: Option<Severity>) -> usize {
    let before = checks.len();
    if let Some(min) = min {
        checks.retain(|c| c.severity >= min);
    }
    before - checks.len()
}

pub(crate) fn run(args: ScanArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let scanners = scanners(&args)?;
    let vuln = scanners.contains(&Scanner::Vuln);
    let db = if vuln {
        let dir = super::db::dir(&args.db)?;
        if args.update_db {
            super::db::update(&dir, &[], &args.registry.ca_certs, global)?;
        }
        // Open the database first: a missing one should stop the scan before any image is read.
        Some(zoll_db::Db::open(&dir)?)
    } else {
        None
    };
    // Engines are opened (clamd pinged, rules compiled) before any image is read, too.
    let secrets = if scanners.contains(&Scanner::Secret) {
        Some(Secrets(secret_detector(&args)?))
    } else {
        None
    };
    let malware = if scanners.contains(&Scanner::Malware) {
        Some(Malware {
            engines: malware_engines(&args)?,
            diagnostics: Mutex::new(Vec::new()),
        })
    } else {
        None
    };
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

    let mut checks: Vec<CheckFinding> = Vec::new();
    let mut workloads = Vec::new();
    let mut warnings = Vec::new();
    let sbom = match (&args.sbom, &args.image) {
        (Some(file), _) => zoll_scan::read_sbom(file)?,
        (None, Some(ScanTarget::Config(path))) => {
            let linted = super::checks::lint_paths(std::slice::from_ref(path), &[])?;
            checks = linted.checks;
            workloads = linted.workloads;
            config_sbom(path.display().to_string())
        }
        (None, Some(ScanTarget::Image(image))) => {
            let mut inspectors: Vec<&dyn zoll_sbom::Inspector> = Vec::new();
            if let Some(s) = &secrets {
                inspectors.push(s);
            }
            if let Some(m) = &malware {
                inspectors.push(m);
            }
            let started = std::time::Instant::now();
            let inspected =
                super::sbom::inspect(image, &args.image_opts, &args.registry, global, &inspectors)?;
            tracing::info!(
                "read the image in {:.1} ms",
                started.elapsed().as_secs_f64() * 1000.0
            );
            let zoll_sbom::Inspection {
                sbom,
                checks: found,
                facts,
            } = inspected.inspection;
            checks = found;
            if let (Some(s), Some(config)) = (&secrets, &inspected.config) {
                checks.extend(config_secrets(&s.0, config));
            }
            if scanners.contains(&Scanner::Config) {
                let default_config = zoll_oci::model::ImageConfig::default();
                let names = image_names(&sbom.target);
                checks.extend(zoll_scan::image::check(&zoll_scan::image::ImageInput {
                    config: inspected.config.as_ref().unwrap_or(&default_config),
                    facts: &facts,
                    sbom: &sbom,
                    names: &names,
                }));
                if inspected.config.is_none() {
                    // A root filesystem has no image config: only the content checks apply.
                    checks.retain(|c| !c.location.path.starts_with("config:"));
                }
            }
            if let Some(m) = &malware
                && let Ok(d) = m.diagnostics.lock()
            {
                warnings.extend(d.iter().cloned());
            }
            sbom
        }
        (None, None) => anyhow::bail!("give an IMAGE, config:PATH or --sbom FILE"),
    };
    let mut report = match &db {
        Some(db) => {
            let packages = sbom.packages.len();
            let started = std::time::Instant::now();
            let report = zoll_scan::scan(sbom, db, &opts).context("matching failed")?;
            tracing::info!(
                "matched {packages} packages against {} advisories in {:.1} ms",
                db.advisories(),
                started.elapsed().as_secs_f64() * 1000.0
            );
            report
        }
        None => empty_report(sbom),
    };
    // `filtered` counts vulnerabilities (the summary's meaning); checks below --severity are
    // dropped without a count.
    let dropped = filter_checks(&mut checks, args.severity);
    if dropped > 0 {
        tracing::info!("{dropped} secret/malware/config findings below --severity not shown");
    }
    report.scanners = scanners;
    report.checks = checks;
    report.workloads = workloads;
    report.warnings.extend(warnings);
    for w in &report.warnings {
        tracing::warn!("{w}");
    }
    let mut render = RenderOptions::new(env!("CARGO_PKG_VERSION"), now);
    render.color =
        args.output.is_none() && args.format == ScanFormat::Table && crate::cli::stdout_color();
    write(&report, args.format, &render, args.output.as_deref())?;
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
    if (!report.findings.is_empty() || !report.checks.is_empty()) && args.exit_code != 0 {
        return Ok(ExitCode::from(args.exit_code));
    }
    Ok(ExitCode::SUCCESS)
}

/// Secrets in the image config: each Env entry, each label, each history step.
fn config_secrets(
    detector: &zoll_secrets::Detector,
    config: &zoll_oci::model::ImageConfig,
) -> Vec<CheckFinding> {
    let mut out = Vec::new();
    for e in config.config.env.iter().flatten() {
        out.extend(detector.scan_text("config:Env", e));
    }
    for (k, v) in config.config.labels.iter().flatten() {
        out.extend(detector.scan_text("config:Labels", &format!("{k}={v}")));
    }
    for (i, h) in config.history.iter().enumerate() {
        if let Some(cb) = &h.created_by {
            out.extend(detector.scan_text(&format!("config:history[{i}]"), cb));
        }
    }
    out
}

fn write(
    report: &VulnReport,
    format: ScanFormat,
    render: &RenderOptions,
    output: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    match output {
        Some(path) => {
            let mut buf = Vec::new();
            zoll_formats::write_report(report, format, render, &mut buf)?;
            fs::write(path, buf)?;
        }
        None => {
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            zoll_formats::write_report(report, format, render, &mut lock)?;
            lock.flush()?;
        }
    }
    Ok(())
}

/// `zoll lint PATH...`.
pub(crate) fn lint(args: LintArgs, _global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let linted = super::checks::lint_paths(&args.paths, &args.ignore)?;
    let input = args
        .paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(" ");
    let mut report = empty_report(config_sbom(input));
    let mut checks = linted.checks;
    let dropped = filter_checks(&mut checks, args.severity);
    if dropped > 0 {
        tracing::info!("{dropped} findings below --severity not shown");
    }
    report.scanners = vec![Scanner::Config];
    report.checks = checks;
    report.workloads = linted.workloads;
    tracing::info!("linted {} files", linted.files);
    let now = super::now();
    let mut render = RenderOptions::new(env!("CARGO_PKG_VERSION"), now);
    render.color =
        args.output.is_none() && args.format == ScanFormat::Table && crate::cli::stdout_color();
    write(&report, args.format, &render, args.output.as_deref())?;
    if !report.checks.is_empty() && args.exit_code != 0 {
        return Ok(ExitCode::from(args.exit_code));
    }
    Ok(ExitCode::SUCCESS)
}
