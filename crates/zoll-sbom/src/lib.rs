//! Image -> SBOM.
