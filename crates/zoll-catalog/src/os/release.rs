//! os-release parsing and fallbacks.

use zoll_core::Distro;

pub(crate) fn is_release_file(path: &str) -> bool {
    matches!(path, "/etc/os-release" | "/usr/lib/os-release")
}

pub(crate) fn parse(_path: &str, _data: &[u8]) -> Option<Distro> {
    None
}
