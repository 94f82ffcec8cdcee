//! SBOM output formats.
