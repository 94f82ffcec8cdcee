//! Read-only RPM database parsing (placeholder until the readers land).

/// Why an RPM database could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("malformed rpm database: {0}")]
    Malformed(String),
}
