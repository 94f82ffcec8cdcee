//! Image -> SBOM. Each layer is streamed once through every cataloger (layers in parallel, one
//! per core), the result of each layer is cached by diff-id, and the layers are then merged as the
//! container runtime would stack them: OCI whiteouts and opaque directories delete lower files, an
//! upper file replaces a lower one. Each package is attributed to the layer that added it: the
//! lowest layer from which the file that lists it has continuously listed it.
//!
//! Architecture invariant: nothing here writes outside the cache directory (and the anonymous
//! temporary file a gzip'd docker archive is unpacked to), and a cached analysis is only stored
//! after the layer's digests were verified.

mod analysis;
mod cache;
pub mod inspect;
mod merge;

use std::io::{self, Read};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use zoll_catalog::FileCataloger;
use zoll_core::{CheckFinding, Digest, Sbom, Target};
use zoll_oci::{Image, ImageLayer, LayerError, LayerExpect, Limits, Opened, SourceError};

pub use analysis::{FileResult, LayerAnalysis};
pub use cache::LayerCache;
pub use inspect::{ImageFacts, InspectError, Inspector, LayerInspector};

/// Why an SBOM could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Layer(#[from] LayerError),
    #[error(transparent)]
    Dir(#[from] zoll_oci::DirError),
    #[error("layer {layer}: {source}")]
    Inspect {
        layer: String,
        #[source]
        source: InspectError,
    },
}

/// Everything one pass over an image found: the SBOM, what the inspectors found in files
/// (each with its layer), and the stacked facts for the image checks.
#[derive(Clone, Debug)]
pub struct Inspection {
    pub sbom: Sbom,
    pub checks: Vec<CheckFinding>,
    pub facts: ImageFacts,
}

/// Receives progress while layers are read (the CLI draws bars with it).
pub trait Progress: Sync {
    fn layer_start(&self, _index: usize, _layer: &ImageLayer, _cached: bool) {}
    fn layer_bytes(&self, _index: usize, _bytes: u64) {}
    fn layer_done(&self, _index: usize) {}
}

/// No progress reporting.
pub struct NoProgress;
impl Progress for NoProgress {}

/// How to catalog.
pub struct Options<'a> {
    /// Where layer analyses are cached; `None` disables the cache.
    pub cache: Option<LayerCache>,
    pub limits: Limits,
    /// Largest file handed to a cataloger.
    pub max_file_bytes: u64,
    /// Layers read at once (default: the number of cores).
    pub parallelism: usize,
    pub progress: &'a dyn Progress,
    /// What looks at file bytes besides the catalogers (secrets, malware).
    pub inspectors: &'a [&'a dyn Inspector],
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            cache: LayerCache::default_dir().map(LayerCache::new),
            limits: Limits::default(),
            max_file_bytes: 512 << 20,
            parallelism: std::thread::available_parallelism().map_or(1, |n| n.get()),
            progress: &NoProgress,
            inspectors: &[],
        }
    }
}

/// Fingerprint of a cataloger and inspector set: the crate version, every cataloger's name and
/// every inspector's fingerprint; `None` when an inspector's results must not be cached.
fn fingerprint(
    catalogers: &[Box<dyn FileCataloger>],
    inspectors: &[&dyn Inspector],
) -> Option<String> {
    let names: Vec<&str> = catalogers.iter().map(|c| c.name()).collect();
    let mut fp = format!("{}:{}", env!("CARGO_PKG_VERSION"), names.join(","));
    for i in inspectors {
        fp.push('+');
        fp.push_str(&i.fingerprint()?);
    }
    Some(fp)
}

/// Catalog whatever [`zoll_oci::open`] returned.
pub fn catalog(opened: &Opened, opts: &Options<'_>) -> Result<Sbom, Error> {
    inspect(opened, opts).map(|i| i.sbom)
}

/// Catalog and inspect whatever [`zoll_oci::open`] returned, in one pass over the layers.
pub fn inspect(opened: &Opened, opts: &Options<'_>) -> Result<Inspection, Error> {
    match opened {
        Opened::Image(image) => inspect_image(image, opts),
        Opened::Rootfs { path, target } => inspect_dir(path, target, opts),
    }
}

/// Set each finding's layer and collect them, lowest layer first.
fn layer_checks(analyses: &[LayerAnalysis], layer_ids: &[Option<Digest>]) -> Vec<CheckFinding> {
    let mut out = Vec::new();
    for (a, id) in analyses.iter().zip(layer_ids) {
        for c in &a.checks {
            let mut c = c.clone();
            c.location.layer = id.clone();
            out.push(c);
        }
    }
    out
}

/// Counts bytes for the progress bar.
struct Counted<'a, R> {
    inner: R,
    index: usize,
    progress: &'a dyn Progress,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.layer_bytes(self.index, n as u64);
        Ok(n)
    }
}

/// One layer's analysis and its measured diff-id, or why it failed.
type LayerOutcome = Result<(LayerAnalysis, Option<Digest>), Error>;

fn analyse_layer(
    image: &Image,
    layer: &ImageLayer,
    catalogers: &[Box<dyn FileCataloger>],
    fp: Option<&str>,
    opts: &Options<'_>,
) -> LayerOutcome {
    if let (Some(cache), Some(diff_id), Some(fp)) = (&opts.cache, &layer.diff_id, fp)
        && let Some(a) = cache.get(diff_id, fp)
    {
        opts.progress.layer_start(layer.index, layer, true);
        opts.progress.layer_done(layer.index);
        return Ok((a, Some(diff_id.clone())));
    }
    opts.progress.layer_start(layer.index, layer, false);
    let raw = image.open_layer(layer)?;
    let expect = LayerExpect {
        name: layer.name(),
        blob_digest: layer.blob.as_ref().map(|b| b.digest.clone()),
        blob_size: layer.blob.as_ref().map(|b| b.size),
        diff_id: layer.diff_id.clone(),
    };
    let inspect_err = |source| Error::Inspect {
        layer: layer.name(),
        source,
    };
    let mut analyzer = analysis::Analyzer::new(
        catalogers,
        opts.inspectors,
        fp.unwrap_or_default().to_owned(),
        opts.max_file_bytes,
    )
    .map_err(inspect_err)?;
    let counted = Counted {
        inner: raw,
        index: layer.index,
        progress: opts.progress,
    };
    let walked = zoll_oci::walk_layer(counted, &expect, &opts.limits, &mut analyzer);
    if let Some(e) = analyzer.failure.take() {
        return Err(inspect_err(e));
    }
    let summary = walked?;
    opts.progress.layer_done(layer.index);
    let analysis = analyzer.out;
    // Only layers whose diff-id the (verified) config vouches for are cached.
    if let (Some(cache), Some(diff_id), Some(_)) = (&opts.cache, &layer.diff_id, fp) {
        cache.put(diff_id, &analysis);
    }
    Ok((analysis, Some(summary.diff_id)))
}

/// Catalog a layered image.
pub fn catalog_image(image: &Image, opts: &Options<'_>) -> Result<Sbom, Error> {
    inspect_image(image, opts).map(|i| i.sbom)
}

/// Catalog and inspect a layered image.
pub fn inspect_image(image: &Image, opts: &Options<'_>) -> Result<Inspection, Error> {
    let catalogers = zoll_catalog::default_catalogers();
    let fp = fingerprint(&catalogers, opts.inspectors);
    let fp = fp.as_deref();
    let n = image.layers.len();
    let results: Mutex<Vec<Option<LayerOutcome>>> = Mutex::new((0..n).map(|_| None).collect());
    let next = AtomicUsize::new(0);
    let workers = opts.parallelism.clamp(1, n.max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let r = analyse_layer(image, &image.layers[i], &catalogers, fp, opts);
                    let failed = r.is_err();
                    if let Ok(mut g) = results.lock() {
                        g[i] = Some(r);
                    }
                    if failed {
                        // Stop handing out work; the first error is reported.
                        next.store(n, Ordering::Relaxed);
                        break;
                    }
                }
            });
        }
    });
    let results = results.into_inner().unwrap_or_default();
    let mut analyses = Vec::with_capacity(n);
    let mut target: Target = image.target.clone();
    for (i, r) in results.into_iter().enumerate() {
        let (a, diff_id) = match r {
            Some(r) => r?,
            None => continue,
        };
        if let (Some(d), Some(info)) = (diff_id, target.layers.get_mut(i)) {
            info.diff_id = d;
        }
        analyses.push(a);
    }
    if analyses.len() != n {
        // A worker stopped early without an error being recorded: cannot happen, but never
        // report a partial SBOM as complete.
        return Err(Error::Source(SourceError::Malformed {
            what: target.input.clone(),
            reason: "not every layer was read".to_owned(),
        }));
    }
    let layer_ids: Vec<Option<Digest>> = target
        .layers
        .iter()
        .map(|l| Some(l.diff_id.clone()))
        .collect();
    Ok(finish(target, &analyses, &layer_ids))
}

fn finish(target: Target, analyses: &[LayerAnalysis], layer_ids: &[Option<Digest>]) -> Inspection {
    let refs: Vec<&LayerAnalysis> = analyses.iter().collect();
    Inspection {
        checks: layer_checks(analyses, layer_ids),
        facts: inspect::stack(&refs, layer_ids),
        sbom: merge::merge(target, analyses, layer_ids),
    }
}

/// Catalog a root filesystem directory.
pub fn catalog_dir(
    path: &std::path::Path,
    target: &Target,
    opts: &Options<'_>,
) -> Result<Sbom, Error> {
    inspect_dir(path, target, opts).map(|i| i.sbom)
}

/// Catalog and inspect a root filesystem directory.
pub fn inspect_dir(
    path: &std::path::Path,
    target: &Target,
    opts: &Options<'_>,
) -> Result<Inspection, Error> {
    let catalogers = zoll_catalog::default_catalogers();
    let inspect_err = |source| Error::Inspect {
        layer: path.display().to_string(),
        source,
    };
    let mut analyzer = analysis::Analyzer::new(
        &catalogers,
        opts.inspectors,
        String::new(),
        opts.max_file_bytes,
    )
    .map_err(inspect_err)?;
    let mut skipped = Vec::new();
    let walked = zoll_oci::walk_dir(path, &mut analyzer, &mut |s| skipped.push(s));
    if let Some(e) = analyzer.failure.take() {
        return Err(inspect_err(e));
    }
    walked?;
    let mut analysis = analyzer.out;
    analysis.diagnostics.extend(skipped);
    Ok(finish(target.clone(), &[analysis], &[None]))
}
