//! Language ecosystems: Python, npm, Rust, Java, Ruby, PHP, .NET.

use crate::FileCataloger;

pub(crate) fn catalogers() -> Vec<Box<dyn FileCataloger>> {
    Vec::new()
}
