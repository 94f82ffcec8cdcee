//! `zoll sbom`: open an image, catalog it, render the SBOM.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use anyhow::Context;
use fs_err as fs;
use zoll_formats::{RenderOptions, SbomFormat};
use zoll_sbom::LayerCache;

use zoll_core::Sbom;

use crate::cli::{GlobalArgs, ImageArgs, RegistryArgs, SbomArgs};
use crate::progress::Bars;

pub(crate) fn run(args: SbomArgs, global: &GlobalArgs) -> anyhow::Result<ExitCode> {
    let sbom = catalog(&args.image, &args.image_opts, &args.registry, global)?;
    let mut render = RenderOptions::new(env!("CARGO_PKG_VERSION"), super::now());
    render.color =
        args.output.is_none() && args.format == SbomFormat::Table && crate::cli::stdout_color();
    match &args.output {
        Some(path) => {
            let mut buf = Vec::new();
            zoll_formats::write_sbom(&sbom, args.format, &mut buf, &render)?;
            fs::write(path, buf)?;
        }
        None => {
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            zoll_formats::write_sbom(&sbom, args.format, &mut lock, &render)?;
            lock.flush()?;
        }
    }
    // The attestation carries a standard SBOM: SPDX when that was asked for, else CycloneDX.
    let (format, kind) = match args.format {
        SbomFormat::SpdxJson => (SbomFormat::SpdxJson, "spdxjson"),
        _ => (SbomFormat::CycloneDxJson, "cyclonedx"),
    };
    super::seal::attest_document(&args.registry, &args.attach, kind, || {
        let mut doc = Vec::new();
        render.color = false;
        zoll_formats::write_sbom(&sbom, format, &mut doc, &render)?;
        Ok(doc)
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Open and catalog an image, with progress bars and the layer cache: shared by `sbom` and `scan`.
pub(crate) fn catalog(
    image: &zoll_oci::SourceSpec,
    image_opts: &ImageArgs,
    registry: &RegistryArgs,
    global: &GlobalArgs,
) -> anyhow::Result<Sbom> {
    Ok(inspect(image, image_opts, registry, global, &[])?
        .inspection
        .sbom)
}

/// What one pass over an image gave `zoll scan`.
pub(crate) struct Inspected {
    pub(crate) inspection: zoll_sbom::Inspection,
    /// The image config, for layered images (a root filesystem has none).
    pub(crate) config: Option<zoll_oci::model::ImageConfig>,
}

/// Open an image and read it once: catalogers plus `inspectors` (secrets, malware).
pub(crate) fn inspect(
    image: &zoll_oci::SourceSpec,
    image_opts: &ImageArgs,
    registry: &RegistryArgs,
    global: &GlobalArgs,
    inspectors: &[&dyn zoll_sbom::Inspector],
) -> anyhow::Result<Inspected> {
    let opts = super::open_options(image_opts, registry)?;
    let opened = zoll_oci::open(image, &opts).with_context(|| format!("cannot open {image}"))?;
    let layers = match &opened {
        zoll_oci::Opened::Image(i) => i.layers.len(),
        zoll_oci::Opened::Rootfs { .. } => 0,
    };
    let bars = Bars::new(layers, !global.quiet && std::io::stderr().is_terminal());
    let cache = if image_opts.no_cache {
        None
    } else {
        image_opts
            .cache_dir
            .clone()
            .or_else(LayerCache::default_dir)
            .map(LayerCache::new)
    };
    let catalog_opts = zoll_sbom::Options {
        cache,
        limits: super::limits(image_opts),
        progress: &bars,
        inspectors,
        ..zoll_sbom::Options::default()
    };
    let inspection = zoll_sbom::inspect(&opened, &catalog_opts)
        .with_context(|| format!("cannot read {image}"))?;
    for d in &inspection.sbom.diagnostics {
        tracing::warn!("{d}");
    }
    let config = match opened {
        zoll_oci::Opened::Image(i) => Some(i.config),
        zoll_oci::Opened::Rootfs { .. } => None,
    };
    Ok(Inspected { inspection, config })
}
