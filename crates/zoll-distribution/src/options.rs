//! Client configuration: [`ClientOptions`] and [`Credentials`].

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// A user name and password (or token) for a registry. `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl Credentials {
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Credentials {
        Credentials {
            username: username.into(),
            password: password.into(),
        }
    }

    /// `ZOLL_USERNAME` and `ZOLL_PASSWORD`, when both are set and the user name is not empty.
    pub fn from_env() -> Option<Credentials> {
        let username = std::env::var("ZOLL_USERNAME").ok()?;
        let password = std::env::var("ZOLL_PASSWORD").ok()?;
        if username.is_empty() {
            return None;
        }
        Some(Credentials { username, password })
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Why a `--creds` string is not `USER:PASSWORD`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialsError {
    #[error("invalid credentials: expected USER:PASSWORD")]
    Syntax,
    #[error("invalid credentials: empty user name")]
    EmptyUser,
}

impl FromStr for Credentials {
    type Err = CredentialsError;

    /// `user:pass`; the password is everything after the first colon and may contain colons.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (user, pass) = s.split_once(':').ok_or(CredentialsError::Syntax)?;
        if user.is_empty() {
            return Err(CredentialsError::EmptyUser);
        }
        Ok(Credentials::new(user, pass))
    }
}

/// How a [`crate::Client`] talks to registries.
///
/// Credentials are looked up per registry in this order: [`ClientOptions::credentials`] (sent to
/// every registry this client talks to, and to their token services), then `ZOLL_USERNAME` /
/// `ZOLL_PASSWORD` (when `use_env_credentials`), then the docker config file. Without any, requests
/// are anonymous (anonymous bearer tokens included).
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Explicit credentials (`--creds`); take precedence over everything else.
    pub credentials: Option<Credentials>,
    /// Whether to read `ZOLL_USERNAME` / `ZOLL_PASSWORD` when `credentials` is `None`. Default true.
    pub use_env_credentials: bool,
    /// Docker config file with `auths`, `credHelpers`, `credsStore`. The default is
    /// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`; `None` reads none. A missing file
    /// is the same as an empty one.
    pub docker_config: Option<PathBuf>,
    /// Plain HTTP: when true, every registry is reached over `http://` (like skopeo's
    /// `--tls-verify=false` with a plain-HTTP registry, or `--plain-http` in oras). TLS certificate
    /// verification is never turned off; use `ca_certs` for private CAs. When false, only `https://`
    /// is used, and credentials are never sent to a plain-HTTP token realm.
    pub insecure: bool,
    /// Extra trusted CA certificates (PEM files, each may hold several), added to the system roots.
    pub ca_certs: Vec<PathBuf>,
    /// Retries of idempotent requests after connection errors, 429 and 5xx. Default 3.
    pub retries: u32,
    /// First backoff delay; doubled on each retry, with jitter, at most `max_backoff`. Default 500 ms.
    pub backoff: Duration,
    /// Upper bound of one backoff delay, `Retry-After` included. Default 30 s.
    pub max_backoff: Duration,
    /// `User-Agent` header.
    pub user_agent: String,
    /// Connect timeout. Default 30 s.
    pub connect_timeout: Duration,
    /// Timeout for a response's headers and for each read of a body (an idle timeout, not a
    /// limit on a whole download). Default 120 s.
    pub timeout: Duration,
}

impl ClientOptions {
    /// `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`.
    pub fn default_docker_config() -> Option<PathBuf> {
        if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
            return Some(PathBuf::from(dir).join("config.json"));
        }
        dirs::home_dir().map(|h| h.join(".docker").join("config.json"))
    }
}

impl Default for ClientOptions {
    fn default() -> ClientOptions {
        ClientOptions {
            credentials: None,
            use_env_credentials: true,
            docker_config: ClientOptions::default_docker_config(),
            insecure: false,
            ca_certs: Vec::new(),
            retries: 3,
            backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            user_agent: concat!("zoll/", env!("CARGO_PKG_VERSION")).to_owned(),
            connect_timeout: Duration::from_secs(30),
            timeout: Duration::from_secs(120),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_hides_password() {
        let c: Credentials = "user:pa:ss".parse().unwrap();
        assert_eq!(c, Credentials::new("user", "pa:ss"));
        let dbg = format!("{c:?}");
        assert!(dbg.contains("user") && !dbg.contains("pa:ss"), "{dbg}");
        assert_eq!(
            "nocolon".parse::<Credentials>(),
            Err(CredentialsError::Syntax)
        );
        assert_eq!(
            ":x".parse::<Credentials>(),
            Err(CredentialsError::EmptyUser)
        );
    }
}
