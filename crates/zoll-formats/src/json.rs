//! zoll's own JSON SBOM, schema `zoll.sbom/v1`: the serde form of [`zoll_core::Sbom`] with a schema
//! version and the creating tool in front.
//!
//! ```json
//! {
//!   "schema": "zoll.sbom/v1",
//!   "tool": { "name": "zoll", "version": "0.1.0" },
//!   "target": {
//!     "input": "docker.io/library/debian:12",   // what the user typed
//!     "kind": "registry",                       // oci | docker-archive | dir | registry
//!     "manifest_digest": "sha256:...",          // optional
//!     "config_digest": "sha256:...",            // optional
//!     "platform": { "os": "linux", "architecture": "amd64", "variant": "v8" },  // optional
//!     "layers": [ { "diff_id": "sha256:...", "digest": "sha256:...", "size": 123, "created_by": "..." } ],
//!     "tags": [ "debian:12" ]
//!   },
//!   "distro": { "id": "debian", "version_id": "12", "version_codename": "bookworm",
//!               "pretty_name": "...", "id_like": [], "distroless": true },   // optional
//!   "packages": [ {
//!     "name": "libc6", "version": "2.36-9+deb12u4", "type": "deb",
//!     "purl": "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12",
//!     "licenses": [ "GPL-2.0-or-later" ],                     // as found, not normalised
//!     "source": { "name": "glibc", "version": "..." },        // optional
//!     "arch": "amd64",                                        // optional
//!     "locations": [ "/var/lib/dpkg/status" ],
//!     "layer": "sha256:...",                                  // diff-id, optional
//!     "found_by": "dpkg"
//!   } ],
//!   "diagnostics": [ "could not read /usr/lib/x.jar: truncated zip" ]
//! }
//! ```
//!
//! Optional fields are left out rather than written as `null`, empty lists are left out except
//! `packages` and `locations`, and packages keep the order the catalogers produced. Readers must
//! ignore unknown fields: new optional fields do not change the schema version; removing or
//! changing the meaning of a field does (`zoll.sbom/v2`).

use serde::Serialize;
use zoll_core::Sbom;

use crate::RenderOptions;

/// The schema identifier written in the `schema` field.
pub const SCHEMA: &str = "zoll.sbom/v1";

/// The JSON document: the SBOM with the schema and the tool in front.
#[derive(Debug, Serialize)]
pub struct Document<'a> {
    pub schema: &'static str,
    pub tool: Tool<'a>,
    #[serde(flatten)]
    pub sbom: &'a Sbom,
}

/// The tool that wrote the document.
#[derive(Debug, Serialize)]
pub struct Tool<'a> {
    pub name: &'static str,
    pub version: &'a str,
}

/// Build the document for `sbom`.
pub fn document<'a>(sbom: &'a Sbom, opts: &'a RenderOptions) -> Document<'a> {
    Document {
        schema: SCHEMA,
        tool: Tool {
            name: "zoll",
            version: &opts.tool_version,
        },
        sbom,
    }
}
