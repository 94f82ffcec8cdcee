//! Authentication state: `WWW-Authenticate` challenge parsing, what scheme each registry asked for,
//! and bearer tokens cached per registry and scope until they expire.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// One parsed challenge of a `WWW-Authenticate` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Challenge {
    /// Lowercased scheme, e.g. `bearer`, `basic`.
    pub(crate) scheme: String,
    /// Parameters with lowercased names.
    pub(crate) params: HashMap<String, String>,
}

/// Parse a `WWW-Authenticate` value, which may hold several challenges
/// (`Basic realm="x", Bearer realm="y",service="z"`).
pub(crate) fn parse_challenges(header: &str) -> Vec<Challenge> {
    let mut out: Vec<Challenge> = Vec::new();
    let b = header.as_bytes();
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < b.len() && (b[*i] == b' ' || b[*i] == b'\t' || b[*i] == b',') {
            *i += 1;
        }
    };
    let is_tok = |c: u8| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~/".contains(&c);
    loop {
        skip_ws(&mut i);
        if i >= b.len() {
            break;
        }
        // A token: either a new scheme or a parameter name of the current challenge.
        let start = i;
        while i < b.len() && is_tok(b[i]) {
            i += 1;
        }
        if start == i {
            i += 1; // junk byte
            continue;
        }
        let word = &header[start..i];
        let mut j = i;
        while j < b.len() && b[j] == b' ' {
            j += 1;
        }
        if j < b.len() && b[j] == b'=' && !(j + 1 < b.len() && b[j + 1] == b'=') {
            // name=value
            i = j + 1;
            while i < b.len() && b[i] == b' ' {
                i += 1;
            }
            let value = if i < b.len() && b[i] == b'"' {
                i += 1;
                let mut v = String::new();
                while i < b.len() && b[i] != b'"' {
                    if b[i] == b'\\' && i + 1 < b.len() {
                        i += 1;
                    }
                    // Copy one UTF-8 character.
                    let ch_len = header[i..].chars().next().map_or(1, char::len_utf8);
                    v.push_str(&header[i..i + ch_len]);
                    i += ch_len;
                }
                i += 1;
                v
            } else {
                let vs = i;
                while i < b.len() && b[i] != b',' {
                    i += 1;
                }
                header[vs..i].trim().to_owned()
            };
            if let Some(c) = out.last_mut() {
                c.params.insert(word.to_ascii_lowercase(), value);
            }
        } else {
            // token68 after a scheme (e.g. `Negotiate abc==`) is skipped with the scheme.
            out.push(Challenge {
                scheme: word.to_ascii_lowercase(),
                params: HashMap::new(),
            });
        }
    }
    out
}

/// What a registry asked for the last time it challenged us.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Scheme {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
    },
}

/// A bearer token and when to stop using it.
#[derive(Clone)]
pub(crate) struct Token {
    pub(crate) value: String,
    pub(crate) expires: Instant,
}

/// Lifetime assumed when a token response has no `expires_in` (the spec's default).
pub(crate) const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(60);

/// Token lifetime from `expires_in`, less a safety margin, at least a few seconds.
pub(crate) fn token_lifetime(expires_in: Option<u64>) -> Duration {
    let secs = expires_in
        .filter(|s| *s > 0)
        .map_or(DEFAULT_TOKEN_LIFETIME, Duration::from_secs);
    secs.saturating_sub(Duration::from_secs(10))
        .max(Duration::from_secs(5).min(secs))
}

/// Per-registry auth knowledge, shared by all requests of a client.
#[derive(Default)]
pub(crate) struct AuthCache {
    pub(crate) schemes: HashMap<String, Scheme>,
    /// Keyed by (registry, scope as requested).
    pub(crate) tokens: HashMap<(String, String), Token>,
}

impl AuthCache {
    pub(crate) fn token(&self, registry: &str, scope: &str) -> Option<String> {
        self.tokens
            .get(&(registry.to_owned(), scope.to_owned()))
            .filter(|t| t.expires > Instant::now())
            .map(|t| t.value.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bearer_and_basic() {
        let c = parse_challenges(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull,push""#,
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scheme, "bearer");
        assert_eq!(c[0].params["realm"], "https://auth.docker.io/token");
        assert_eq!(c[0].params["service"], "registry.docker.io");
        assert_eq!(c[0].params["scope"], "repository:library/alpine:pull,push");

        let c = parse_challenges(
            r#"Basic realm="Registry Realm", Bearer realm=http://x/t, service="a \"q\"""#,
        );
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].scheme, "basic");
        assert_eq!(c[0].params["realm"], "Registry Realm");
        assert_eq!(c[1].params["realm"], "http://x/t");
        assert_eq!(c[1].params["service"], "a \"q\"");
        assert!(parse_challenges("").is_empty());
        assert_eq!(parse_challenges("Negotiate abc==")[0].scheme, "negotiate");
    }

    #[test]
    fn lifetimes() {
        assert_eq!(token_lifetime(None), Duration::from_secs(50));
        assert_eq!(token_lifetime(Some(300)), Duration::from_secs(290));
        assert_eq!(token_lifetime(Some(3)), Duration::from_secs(3));
    }
}
