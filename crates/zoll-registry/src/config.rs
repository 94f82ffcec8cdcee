//! `zoll serve` configuration: a TOML file over embedded defaults; command-line flags override
//! the file (the binary applies them).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The whole server configuration. Every field has a default, so an empty file is valid.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Where the SQLite database and filesystem blobs live.
    pub data_dir: PathBuf,
    /// `sqlite://PATH` or `postgres://USER:PASS@HOST/DB`; default: `DATA_DIR/meta.db`.
    pub database: Option<String>,
    /// The URL clients use to reach this registry (used in token realms). Default: derived from
    /// each request's Host header and scheme.
    pub public_url: Option<String>,
    /// The token `service` (audience) name.
    pub service: String,
    /// Lifetime of issued bearer tokens.
    pub token_ttl_seconds: u64,
    /// Uploads untouched for this long are removed.
    pub upload_expiry_seconds: u64,
    /// Largest manifest accepted (distribution uses 4 MiB).
    pub max_manifest_bytes: usize,
    /// How long a verified Basic credential is remembered (Argon2id is deliberately slow).
    pub credential_cache_seconds: u64,
    /// Failed logins one client address may make within `failed_login_window_seconds` before
    /// further attempts get 429 TOOMANYREQUESTS until the window ends.
    pub max_failed_logins: u32,
    pub failed_login_window_seconds: u64,
    /// Offer the signature API extension of containers/image (`X-Registry-Supports-Signatures`
    /// on `/v2/`, `/extensions/v2/<name>/signatures/<digest>`). When off, skopeo and podman fall
    /// back to a lookaside directory configured in their `registries.d`.
    pub signature_extension: bool,
    pub storage: StorageConfig,
    pub tls: Option<TlsConfig>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 5000)),
            data_dir: PathBuf::from("zoll-data"),
            database: None,
            public_url: None,
            service: "zoll".to_owned(),
            token_ttl_seconds: 300,
            upload_expiry_seconds: 24 * 3600,
            max_manifest_bytes: 4 * 1024 * 1024,
            credential_cache_seconds: 60,
            max_failed_logins: 20,
            failed_login_window_seconds: 60,
            signature_extension: true,
            storage: StorageConfig::default(),
            tls: None,
        }
    }
}

/// Where blobs go.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum StorageConfig {
    /// A directory: `path`, default `DATA_DIR/blobs`.
    Fs {
        #[serde(default)]
        path: Option<PathBuf>,
    },
    S3 {
        bucket: String,
        #[serde(default)]
        endpoint: Option<String>,
        #[serde(default = "default_region")]
        region: String,
        #[serde(default)]
        prefix: String,
        #[serde(default)]
        access_key_id: Option<String>,
        #[serde(default)]
        secret_access_key: Option<String>,
        #[serde(default)]
        allow_http: bool,
    },
}

impl Default for StorageConfig {
    fn default() -> StorageConfig {
        StorageConfig::Fs { path: None }
    }
}

fn default_region() -> String {
    "us-east-1".to_owned()
}

/// TLS, and optionally mutual TLS. Files are re-read when they change, without a restart.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM certificate chain.
    pub cert: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// PEM CA bundle for client certificates. When set, clients may authenticate with a
    /// certificate whose subject common name is an account name (`alice`, or `robot+NAME`).
    /// Clients without a certificate can still use passwords and tokens.
    #[serde(default)]
    pub client_ca: Option<PathBuf>,
}

/// A configuration problem, naming the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid config file {path}: {source}")]
    Parse {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },
}

impl Config {
    /// Read a TOML file; missing keys keep their defaults.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source,
        })
    }

    /// The metadata database URL.
    pub fn database_url(&self) -> String {
        match &self.database {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("meta.db").display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_defaults_and_s3_parses() {
        let c: Config = toml::from_str("").unwrap_or_default();
        assert_eq!(c.listen.to_string(), "127.0.0.1:5000");
        let c: Result<Config, _> = toml::from_str(
            "listen = \"0.0.0.0:443\"\n[storage]\nkind = \"s3\"\nbucket = \"b\"\nendpoint = \"http://x\"\n",
        );
        assert!(matches!(
            c.map(|c| c.storage),
            Ok(StorageConfig::S3 { bucket, .. }) if bucket == "b"
        ));
        let bad: Result<Config, _> = toml::from_str("lisen = 1");
        assert!(bad.is_err());
    }
}
