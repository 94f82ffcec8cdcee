//! zoll's SBOM output formats: renderers that turn one [`zoll_core::Sbom`] into
//!
//! - `table`: aligned columns for people ([`table`]);
//! - `json`: zoll's own schema `zoll.sbom/v1` ([`json`]);
//! - `cyclonedx-json`: CycloneDX 1.6 JSON ([`cyclonedx`]);
//! - `spdx-json`: SPDX 2.3 JSON ([`spdx`]).
//!
//! *Architecture Invariant*: rendering is a pure function of the SBOM and the [`RenderOptions`].
//! The clock is injected (`now`), document ids are UUID v5 of the content, and packages are
//! emitted in a fixed order, so the same input always gives byte-identical output.
//!
//! [`license`] sorts the licence strings catalogers find into SPDX ids, SPDX expressions and
//! free-form names, which CycloneDX and SPDX carry differently.
//!
//! [`scan`] renders a [`zoll_core::VulnReport`] (what `zoll scan` found) through
//! [`render_report`]/[`write_report`] in the [`ScanFormat`]s: `table`, `json` (`zoll.scan/v1`),
//! `sarif` (2.1.0), `cyclonedx-json` (CycloneDX 1.6 with `vulnerabilities`) and `junit`. The same
//! invariant holds there.

use std::fmt;
use std::io::Write;
use std::str::FromStr;

use zoll_core::Sbom;

mod common;
pub mod cyclonedx;
pub mod json;
pub mod license;
pub mod scan;
pub mod spdx;
pub mod table;

pub use scan::{ScanFormat, render_report, write_report};

/// The formats `zoll sbom --format` accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SbomFormat {
    /// Aligned columns for people.
    Table,
    /// zoll's own JSON schema, `zoll.sbom/v1`.
    Json,
    /// CycloneDX 1.6 JSON.
    CycloneDxJson,
    /// SPDX 2.3 JSON.
    SpdxJson,
}

impl SbomFormat {
    /// Every format, in the order help texts list them.
    pub const ALL: [SbomFormat; 4] = [
        SbomFormat::Table,
        SbomFormat::Json,
        SbomFormat::CycloneDxJson,
        SbomFormat::SpdxJson,
    ];

    /// The name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            SbomFormat::Table => "table",
            SbomFormat::Json => "json",
            SbomFormat::CycloneDxJson => "cyclonedx-json",
            SbomFormat::SpdxJson => "spdx-json",
        }
    }

    /// Whether the output is meant for machines (and so must never contain colour).
    pub fn is_machine_readable(self) -> bool {
        !matches!(self, SbomFormat::Table)
    }
}

impl fmt::Display for SbomFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SbomFormat {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SbomFormat::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| Error::UnknownFormat(s.to_owned()))
    }
}

/// How to render.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderOptions {
    /// ANSI colour in the table (the caller decides from `NO_COLOR` and whether stdout is a
    /// terminal). Ignored by the machine-readable formats.
    pub color: bool,
    /// zoll's version, recorded as the creating tool (`Tool: zoll-<ver>` in SPDX).
    pub tool_version: String,
    /// The document's creation time. Injected so output is reproducible; written in UTC with
    /// whole seconds.
    pub now: time::OffsetDateTime,
    /// The terminal's width in columns, when the table goes to a terminal: the vulnerability table
    /// cuts titles so rows fit. `None` cuts them at a fixed width instead. Ignored by the other
    /// formats.
    pub width: Option<usize>,
}

impl RenderOptions {
    /// Options without colour.
    pub fn new(tool_version: impl Into<String>, now: time::OffsetDateTime) -> RenderOptions {
        RenderOptions {
            color: false,
            tool_version: tool_version.into(),
            now,
            width: None,
        }
    }
}

/// Why an SBOM could not be rendered.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("unknown sbom format {0:?}: expected one of table, json, cyclonedx-json, spdx-json")]
    UnknownFormat(String),
    #[error("could not write the {format} sbom")]
    Write {
        format: SbomFormat,
        #[source]
        source: std::io::Error,
    },
    #[error("could not serialise the {format} sbom")]
    Serialize {
        format: SbomFormat,
        #[source]
        source: serde_json::Error,
    },
    #[error("could not format the creation time {0}")]
    Timestamp(time::OffsetDateTime, #[source] time::error::Format),
    #[error(
        "unknown report format {0:?}: expected one of table, json, sarif, cyclonedx-json, junit"
    )]
    UnknownScanFormat(String),
    #[error("could not write the {format} vulnerability report")]
    WriteReport {
        format: ScanFormat,
        #[source]
        source: std::io::Error,
    },
    #[error("could not serialise the {format} vulnerability report")]
    SerializeReport {
        format: ScanFormat,
        #[source]
        source: serde_json::Error,
    },
}

/// Render `sbom` in `format` to `out`.
pub fn write_sbom(
    sbom: &Sbom,
    format: SbomFormat,
    out: &mut dyn Write,
    opts: &RenderOptions,
) -> Result<(), Error> {
    let bytes = render(sbom, format, opts)?;
    out.write_all(&bytes)
        .and_then(|()| out.flush())
        .map_err(|source| Error::Write { format, source })
}

/// Render `sbom` in `format` to a byte buffer (UTF-8, ending in a newline).
pub fn render(sbom: &Sbom, format: SbomFormat, opts: &RenderOptions) -> Result<Vec<u8>, Error> {
    match format {
        SbomFormat::Table => Ok(table::render(sbom, opts).into_bytes()),
        SbomFormat::Json => common::to_json(format, &json::document(sbom, opts)),
        SbomFormat::CycloneDxJson => common::to_json(format, &cyclonedx::document(sbom, opts)?),
        SbomFormat::SpdxJson => common::to_json(format, &spdx::document(sbom, opts)?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_roundtrip() {
        for f in SbomFormat::ALL {
            assert_eq!(f.to_string().parse::<SbomFormat>().unwrap(), f);
        }
        assert_eq!(
            "CycloneDX-JSON".parse::<SbomFormat>().unwrap(),
            SbomFormat::CycloneDxJson
        );
        let err = "xml".parse::<SbomFormat>().unwrap_err().to_string();
        assert_eq!(
            err,
            "unknown sbom format \"xml\": expected one of table, json, cyclonedx-json, spdx-json"
        );
    }
}
