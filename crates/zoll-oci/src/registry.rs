//! Registry source (`REGISTRY/REPO[:TAG|@DIGEST]`), on top of the `zoll-distribution` client.

use zoll_core::ImageRef;

use crate::image::Image;
use crate::{OpenOptions, SourceError};

pub(crate) fn open(reference: &ImageRef, _opts: &OpenOptions) -> Result<Image, SourceError> {
    Err(SourceError::NotFound {
        what: format!("{reference}: registry sources are not wired yet"),
    })
}
