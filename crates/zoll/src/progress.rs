//! Progress bars on stderr for layer reads (hidden when stderr is not a terminal or with --quiet).

use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use zoll_oci::ImageLayer;
use zoll_sbom::Progress;

/// One bar per layer being read.
pub(crate) struct Bars {
    multi: MultiProgress,
    bars: Mutex<Vec<Option<ProgressBar>>>,
    enabled: bool,
}

impl Bars {
    pub(crate) fn new(layers: usize, enabled: bool) -> Bars {
        let target = if enabled {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Bars {
            multi: MultiProgress::with_draw_target(target),
            bars: Mutex::new(vec![None; layers]),
            enabled,
        }
    }
}

impl Progress for Bars {
    fn layer_start(&self, index: usize, layer: &ImageLayer, cached: bool) {
        if !self.enabled {
            return;
        }
        let name = layer
            .diff_id
            .as_ref()
            .map_or_else(|| layer.location.clone(), |d| d.short().to_owned());
        let bar = match layer.blob.as_ref().map(|b| b.size) {
            Some(size) if !cached => ProgressBar::new(size),
            _ => ProgressBar::new_spinner(),
        };
        let style = ProgressStyle::with_template(
            "{prefix:>14} {msg:8} [{bar:30}] {bytes:>10}/{total_bytes:10} {bytes_per_sec}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        let bar = self.multi.add(
            bar.with_style(style)
                .with_prefix(name)
                .with_message(if cached { "cached" } else { "reading" }),
        );
        if let Ok(mut g) = self.bars.lock()
            && let Some(slot) = g.get_mut(index)
        {
            *slot = Some(bar);
        }
    }

    fn layer_bytes(&self, index: usize, bytes: u64) {
        if let Ok(g) = self.bars.lock()
            && let Some(Some(b)) = g.get(index)
        {
            b.inc(bytes);
        }
    }

    fn layer_done(&self, index: usize) {
        if let Ok(g) = self.bars.lock()
            && let Some(Some(b)) = g.get(index)
        {
            b.finish_and_clear();
        }
    }
}
