//! Rows of the metadata store, as plain data.

use serde::Serialize;
use zoll_core::Digest;

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub name: String,
    #[serde(skip)]
    pub password_hash: String,
    pub sysadmin: bool,
    pub disabled: bool,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Org {
    pub name: String,
    /// `public` or `private`.
    pub visibility: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Team {
    pub org: String,
    pub name: String,
    pub role: String,
    pub members: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RobotGrant {
    /// `org/repo`, or `org/*` for everything in the organisation.
    pub pattern: String,
    /// `pull`, `push`, `delete`.
    pub actions: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Robot {
    pub name: String,
    #[serde(skip)]
    pub secret_hash: String,
    /// Unix seconds.
    pub expires_at: i64,
    pub created_by: String,
    pub created_at: i64,
    pub grants: Vec<RobotGrant>,
}

/// What a manifest points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefKind {
    Blob,
    Manifest,
}

impl RefKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RefKind::Blob => "blob",
            RefKind::Manifest => "manifest",
        }
    }
}

/// A manifest to store.
#[derive(Debug)]
pub struct NewManifest<'a> {
    pub repo: &'a str,
    pub org: &'a str,
    pub digest: &'a Digest,
    pub media_type: &'a str,
    pub artifact_type: Option<&'a str>,
    pub subject: Option<&'a Digest>,
    /// The manifest bytes (JSON, so valid UTF-8).
    pub content: &'a str,
    /// The manifest's `annotations` object as JSON, for the referrers list.
    pub annotations: Option<&'a str>,
    pub references: Vec<(Digest, RefKind)>,
    pub tag: Option<&'a str>,
}

/// A stored manifest.
#[derive(Debug, Clone)]
pub struct ManifestRecord {
    pub digest: Digest,
    pub media_type: String,
    pub artifact_type: Option<String>,
    pub subject: Option<Digest>,
    pub size: u64,
    pub content: String,
    pub annotations: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Upload {
    pub id: String,
    pub repo: String,
    pub size: u64,
    pub started_at: i64,
    pub updated_at: i64,
}

/// An audit entry to write.
#[derive(Debug)]
pub struct NewAudit<'a> {
    /// Account name, `robot:NAME`, or `anonymous`.
    pub actor: &'a str,
    /// e.g. `push`, `delete`, `login`, `login-failed`, `member-set`.
    pub action: &'a str,
    /// e.g. `org/app:1.0@sha256:...`, `user:alice`.
    pub target: &'a str,
    /// The client address.
    pub remote: &'a str,
    /// `ok` or `denied`/`failed`.
    pub outcome: &'a str,
    pub detail: &'a str,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub id: String,
    pub at_micros: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub remote: String,
    pub outcome: String,
    pub detail: String,
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target_prefix: Option<String>,
    pub since_micros: Option<i64>,
    pub limit: i64,
}

/// A signature stored through the signature API extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredSignature {
    /// The client's name for it, `<manifest digest>@<random>`.
    pub name: String,
    /// Its type as the client gave it (`atomic` for containers/image simple signing).
    pub kind: String,
    /// The signature bytes, base64.
    pub content: String,
}
