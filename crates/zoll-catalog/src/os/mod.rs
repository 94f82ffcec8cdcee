//! OS package databases (dpkg, apk, rpm) and OS release detection.

use zoll_core::{Distro, Package};

use crate::FileCataloger;

pub mod release;

pub(crate) fn catalogers() -> Vec<Box<dyn FileCataloger>> {
    Vec::new()
}

pub(crate) fn finalize(_packages: &mut [Package], _distro: Option<&Distro>) {}
