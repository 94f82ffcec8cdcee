//! The zoll command line.

fn main() {}
