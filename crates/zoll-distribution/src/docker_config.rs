//! Credentials from a docker config file: `auths` (base64 `auth`, `username`/`password`,
//! `identitytoken`), `credHelpers` and `credsStore` (running `docker-credential-NAME get`).

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use base64::Engine as _;
use serde::Deserialize;

use crate::error::Error;
use crate::options::Credentials;

/// The key Docker uses for Docker Hub.
const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// Credentials found for a registry.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum StoredAuth {
    Basic(Credentials),
    /// An OAuth2 refresh token (`identitytoken`), exchanged at the token realm.
    IdentityToken {
        username: String,
        token: String,
    },
}

impl std::fmt::Debug for StoredAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoredAuth::Basic(c) => write!(f, "Basic({c:?})"),
            StoredAuth::IdentityToken { username, .. } => {
                write!(f, "IdentityToken({username:?}, <redacted>)")
            }
        }
    }
}

#[derive(Deserialize, Default)]
struct ConfigFile {
    #[serde(default)]
    auths: HashMap<String, AuthEntry>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: HashMap<String, String>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
}

#[derive(Deserialize, Default)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

/// `host[:port]` of a config key: without scheme and path, lowercase; Docker Hub's aliases map to
/// `docker.io`.
fn normalise_key(key: &str) -> String {
    let k = key.trim();
    let k = k
        .strip_prefix("https://")
        .or_else(|| k.strip_prefix("http://"))
        .unwrap_or(k);
    let host = k.split('/').next().unwrap_or(k).to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" => "docker.io".to_owned(),
        _ => host,
    }
}

/// The server URL handed to credential helpers for a registry.
fn helper_server(registry: &str) -> &str {
    if registry == "docker.io" {
        DOCKER_HUB_KEY
    } else {
        registry
    }
}

/// Credentials for `registry` (as [`zoll_core::ImageRef::registry`] spells it) from the config file
/// at `path`. A missing file gives `None`.
pub(crate) fn lookup(path: &Path, registry: &str) -> Result<Option<StoredAuth>, Error> {
    let text = match fs_err::read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Error::DockerConfig {
                path: path.to_owned(),
                message: e.to_string(),
            });
        }
    };
    let config: ConfigFile = serde_json::from_slice(&text).map_err(|e| Error::DockerConfig {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    let registry = normalise_key(registry);

    if let Some((_, helper)) = config
        .cred_helpers
        .iter()
        .find(|(k, _)| normalise_key(k) == registry)
    {
        return run_helper(helper, &registry);
    }
    if let Some(store) = config.creds_store.as_deref().filter(|s| !s.is_empty()) {
        match run_helper(store, &registry) {
            Ok(Some(found)) => return Ok(Some(found)),
            Ok(None) => {}
            Err(e) => tracing::warn!("{e}; falling back to the auths of {}", path.display()),
        }
    }
    // An exact key wins over other spellings of the same host.
    let mut entries: Vec<(&String, &AuthEntry)> = config
        .auths
        .iter()
        .filter(|(k, _)| normalise_key(k) == registry)
        .collect();
    entries.sort_by_key(|(k, _)| k.as_str() != registry && k.as_str() != DOCKER_HUB_KEY);
    for (key, entry) in entries {
        if let Some(found) = decode_entry(entry).map_err(|message| Error::DockerConfig {
            path: path.to_owned(),
            message: format!("auths entry {key:?}: {message}"),
        })? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

fn decode_entry(entry: &AuthEntry) -> Result<Option<StoredAuth>, String> {
    let (mut username, mut password) = (entry.username.clone(), entry.password.clone());
    if let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .map_err(|_| "\"auth\" is not base64".to_owned())?;
        let raw = String::from_utf8(raw).map_err(|_| "\"auth\" is not UTF-8".to_owned())?;
        let (u, p) = raw
            .split_once(':')
            .ok_or_else(|| "\"auth\" is not USER:PASSWORD".to_owned())?;
        username = Some(u.to_owned());
        password = Some(p.to_owned());
    }
    if let Some(token) = entry.identitytoken.as_deref().filter(|t| !t.is_empty()) {
        return Ok(Some(StoredAuth::IdentityToken {
            username: username.unwrap_or_default(),
            token: token.to_owned(),
        }));
    }
    match (username, password) {
        (Some(u), Some(p)) if !u.is_empty() => Ok(Some(StoredAuth::Basic(Credentials::new(u, p)))),
        _ => Ok(None),
    }
}

/// Run `docker-credential-NAME get` with the server URL on stdin.
fn run_helper(name: &str, registry: &str) -> Result<Option<StoredAuth>, Error> {
    let err = |message: String| Error::CredentialHelper {
        helper: name.to_owned(),
        registry: registry.to_owned(),
        message,
    };
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(err("invalid helper name".to_owned()));
    }
    let program = format!("docker-credential-{name}");
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| err(format!("could not run {program}: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(helper_server(registry).as_bytes())
            .map_err(|e| err(format!("writing to {program}: {e}")))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| err(format!("waiting for {program}: {e}")))?;
    if !out.status.success() {
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        if text.to_ascii_lowercase().contains("credentials not found") {
            return Ok(None);
        }
        // The helper's output is not echoed: it might contain secrets.
        return Err(err(format!("{program} exited with {}", out.status)));
    }
    #[derive(Deserialize)]
    struct HelperOut {
        #[serde(rename = "Username", default)]
        username: String,
        #[serde(rename = "Secret", default)]
        secret: String,
    }
    let parsed: HelperOut = serde_json::from_slice(&out.stdout)
        .map_err(|_| err(format!("{program} printed something other than JSON")))?;
    if parsed.secret.is_empty() {
        return Ok(None);
    }
    if parsed.username == "<token>" {
        return Ok(Some(StoredAuth::IdentityToken {
            username: String::new(),
            token: parsed.secret,
        }));
    }
    Ok(Some(StoredAuth::Basic(Credentials::new(
        parsed.username,
        parsed.secret,
    ))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, json: &str) -> std::path::PathBuf {
        let p = dir.join("config.json");
        std::fs::write(&p, json).unwrap();
        p
    }

    #[test]
    fn reads_auths_with_normalised_keys() {
        let dir = tempfile::tempdir().unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode("hub:secret");
        let p = write(
            dir.path(),
            &format!(
                r#"{{"auths":{{"https://index.docker.io/v1/":{{"auth":"{b64}"}},
                "http://localhost:5000/v2/":{{"username":"u","password":"p"}},
                "ghcr.io":{{"identitytoken":"tok","username":"x"}},
                "empty.example":{{}}}}}}"#
            ),
        );
        assert_eq!(
            lookup(&p, "docker.io").unwrap(),
            Some(StoredAuth::Basic(Credentials::new("hub", "secret")))
        );
        assert_eq!(
            lookup(&p, "localhost:5000").unwrap(),
            Some(StoredAuth::Basic(Credentials::new("u", "p")))
        );
        assert_eq!(
            lookup(&p, "ghcr.io").unwrap(),
            Some(StoredAuth::IdentityToken {
                username: "x".into(),
                token: "tok".into()
            })
        );
        assert_eq!(lookup(&p, "empty.example").unwrap(), None);
        assert_eq!(lookup(&p, "localhost:5001").unwrap(), None);
        assert_eq!(
            lookup(&dir.path().join("missing.json"), "docker.io").unwrap(),
            None
        );
        let dbg = format!("{:?}", lookup(&p, "ghcr.io").unwrap());
        assert!(!dbg.contains("tok\""), "{dbg}");
    }

    #[test]
    fn bad_auth_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), r#"{"auths":{"r.example":{"auth":"%%%"}}}"#);
        let e = lookup(&p, "r.example").unwrap_err();
        assert!(e.to_string().contains("not base64"), "{e}");
    }

    #[test]
    fn missing_cred_helper_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            r#"{"credHelpers":{"r.example":"zoll-test-nonexistent"}}"#,
        );
        let e = lookup(&p, "r.example").unwrap_err();
        assert!(
            e.to_string()
                .contains("docker-credential-zoll-test-nonexistent"),
            "{e}"
        );
        // A broken credsStore falls back to auths.
        let p = write(
            dir.path(),
            r#"{"credsStore":"zoll-test-nonexistent","auths":{"r.example":{"username":"a","password":"b"}}}"#,
        );
        assert_eq!(
            lookup(&p, "r.example").unwrap(),
            Some(StoredAuth::Basic(Credentials::new("a", "b")))
        );
    }
}
