//! Who is calling, and may they do this?
//!
//! A request carries one of: `Authorization: Basic` (a user's password or a robot's secret; robots
//! log in as `robot+NAME`), `Authorization: Bearer` (a token from [`crate::token`]), a verified
//! client certificate (mutual TLS; its subject common name is the account), or nothing.
//!
//! Denials follow the Docker token flow: a caller without credentials, or whose token lacks the
//! scope, gets 401 with a `WWW-Authenticate: Bearer realm,service,scope` challenge so the client
//! fetches a (better) token; an authenticated caller that the roles deny gets 403 `DENIED`.

use std::time::{Duration, Instant};

use axum::http::{HeaderMap, header};
use base64::Engine;
use sha2::Digest as _;
use zoll_auth::{Claims, Op, OrgContext, Principal, RobotGrant, Role, Visibility};

use crate::App;
use crate::error::{ApiError, ApiResult, Code};

/// The prefix that marks a robot account in a user name.
pub const ROBOT_PREFIX: &str = "robot+";

/// The identity a TLS client certificate proved (set by [`crate::tls`] as a request extension).
#[derive(Debug, Clone)]
pub struct ClientCert {
    pub common_name: String,
}

/// The client address and certificate of a request, as an extractor.
#[derive(Debug, Clone)]
pub struct ReqInfo {
    pub remote: String,
    pub cert: Option<ClientCert>,
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ReqInfo {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<ReqInfo, Self::Rejection> {
        Ok(ReqInfo {
            remote: crate::remote_of(
                parts
                    .extensions
                    .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>(),
            ),
            cert: parts.extensions.get::<ClientCert>().cloned(),
        })
    }
}

/// The caller of one request.
#[derive(Debug, Clone)]
pub enum Caller {
    /// Resolved from a password, a robot secret, a client certificate, or nothing.
    Principal(Principal),
    /// A bearer token: its claims decide, without a database lookup.
    Token(Claims),
}

impl Caller {
    /// For logs and the audit trail: `alice`, `robot+ci`, `anonymous`.
    pub fn name(&self) -> String {
        let s = match self {
            Caller::Principal(p) => p.subject(),
            Caller::Token(c) => c.sub.as_str(),
        };
        if s.is_empty() {
            "anonymous".to_owned()
        } else {
            s.to_owned()
        }
    }

    pub fn is_anonymous(&self) -> bool {
        match self {
            Caller::Principal(p) => !p.is_authenticated(),
            Caller::Token(c) => c.sub.is_empty(),
        }
    }
}

/// The realm URL for challenges: the configured public URL, or this request's host.
pub fn realm(app: &App, headers: &HeaderMap) -> String {
    if let Some(url) = &app.config.public_url {
        return format!("{}/token", url.trim_end_matches('/'));
    }
    let scheme = if app.config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b':' | b'-' | b'[' | b']'))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| app.config.listen.to_string());
    format!("{scheme}://{host}/token")
}

/// 401 with a Bearer challenge for `scope` (e.g. `repository:org/app:pull`).
pub fn challenge(
    app: &App,
    headers: &HeaderMap,
    scope: Option<&str>,
    error: Option<&str>,
) -> ApiError {
    let mut value = format!(
        "Bearer realm=\"{}\",service=\"{}\"",
        realm(app, headers),
        app.config.service
    );
    if let Some(scope) = scope {
        value.push_str(&format!(",scope=\"{scope}\""));
    }
    if let Some(error) = error {
        value.push_str(&format!(",error=\"{error}\""));
    }
    ApiError::new(Code::Unauthorized, "authentication required")
        .header(header::WWW_AUTHENTICATE, value)
}

/// Decode `Authorization: Basic`.
pub fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some((user.to_owned(), pass.to_owned()))
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
}

/// The principal for an account name, without checking a secret (used after a secret or a
/// certificate proved the name). `None`: no such account, or disabled.
pub async fn principal_for(app: &App, name: &str) -> ApiResult<Option<Principal>> {
    if let Some(robot) = name.strip_prefix(ROBOT_PREFIX) {
        let Some(r) = app.meta.robot(robot).await? else {
            return Ok(None);
        };
        let grants = r
            .grants
            .iter()
            .map(|g| RobotGrant {
                repository_pattern: g.pattern.clone(),
                ops: g
                    .actions
                    .iter()
                    .flat_map(|a| a.parse::<zoll_auth::Action>().ok())
                    .flat_map(|a| zoll_auth::ops_for_action(&a))
                    .collect(),
            })
            .collect();
        return Ok(Some(Principal::Robot {
            name: name.to_owned(),
            grants,
            expired: r.expires_at <= zoll_meta::now_secs(),
        }));
    }
    Ok(app
        .meta
        .user(name)
        .await?
        .filter(|u| !u.disabled)
        .map(|u| Principal::User {
            name: u.name,
            sysadmin: u.sysadmin,
        }))
}

fn cache_key(user: &str, secret: &str) -> [u8; 32] {
    let mut h = sha2::Sha256::new();
    h.update(user.as_bytes());
    h.update([0]);
    h.update(secret.as_bytes());
    h.finalize().into()
}

/// Refuse a client that failed to log in too often within the window: 429 `TOOMANYREQUESTS`
/// with `Retry-After`. Counted per client address in this process (each replica counts its own).
pub fn check_throttle(app: &App, remote: &str) -> ApiResult<()> {
    let window = Duration::from_secs(app.config.failed_login_window_seconds.max(1));
    let Ok(map) = app.login_failures.lock() else {
        return Ok(());
    };
    if let Some((count, since)) = map.get(remote)
        && *count >= app.config.max_failed_logins
        && since.elapsed() < window
    {
        let retry = window.saturating_sub(since.elapsed()).as_secs().max(1);
        return Err(ApiError::new(
            Code::TooManyRequests,
            format!("too many failed logins from {remote}; retry in {retry} s"),
        )
        .header(header::RETRY_AFTER, retry.to_string()));
    }
    Ok(())
}

fn record_failure(app: &App, remote: &str) {
    let window = Duration::from_secs(app.config.failed_login_window_seconds.max(1));
    if let Ok(mut map) = app.login_failures.lock() {
        if map.len() > 100_000 {
            map.retain(|_, (_, since)| since.elapsed() < window);
        }
        let entry = map.entry(remote.to_owned()).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= window {
            *entry = (0, Instant::now());
        }
        entry.0 = entry.0.saturating_add(1);
    }
}

/// Check a user's password or a robot's secret. `None` when wrong (the caller audits it, which
/// also counts the failure against the client's address).
pub async fn verify_credentials(
    app: &App,
    user: &str,
    secret: &str,
    remote: &str,
) -> ApiResult<Option<Principal>> {
    check_throttle(app, remote)?;
    let key = cache_key(user, secret);
    let ttl = Duration::from_secs(app.config.credential_cache_seconds);
    let cached = || {
        app.credential_cache
            .lock()
            .ok()
            .is_some_and(|c| c.get(&key).is_some_and(|t| t.elapsed() < ttl))
    };
    if cached() {
        return principal_for(app, user).await;
    }
    let hash = if let Some(robot) = user.strip_prefix(ROBOT_PREFIX) {
        app.meta.robot(robot).await?.map(|r| r.secret_hash)
    } else {
        app.meta
            .user(user)
            .await?
            .filter(|u| !u.disabled)
            .map(|u| u.password_hash)
    };
    // At most one Argon2id check per core at a time (19 MiB each): a burst of logins queues
    // instead of taking memory. A request that waited re-reads the cache, so a burst with the
    // same credentials costs one check, not one each.
    let _permit = app
        .argon_permits
        .acquire()
        .await
        .map_err(|e| ApiError::internal("password check", e))?;
    let fresh = app
        .credential_cache
        .lock()
        .ok()
        .is_some_and(|c| c.get(&key).is_some_and(|t| t.elapsed() < ttl));
    if fresh {
        return principal_for(app, user).await;
    }
    let secret_owned = secret.to_owned();
    let ok = tokio::task::spawn_blocking(move || match hash {
        Some(h) => zoll_auth::verify_password(&secret_owned, &h),
        None => {
            zoll_auth::dummy_verify(&secret_owned);
            false
        }
    })
    .await
    .map_err(|e| ApiError::internal("password check", e))?;
    if !ok {
        return Ok(None);
    }
    if let Ok(mut c) = app.credential_cache.lock() {
        if c.len() > 10_000 {
            c.retain(|_, t| t.elapsed() < ttl);
        }
        c.insert(key, Instant::now());
    }
    principal_for(app, user).await
}

/// Identify the caller of a request. Wrong credentials are an error (401), never a silent
/// downgrade to anonymous.
pub async fn identify(
    app: &App,
    headers: &HeaderMap,
    cert: Option<&ClientCert>,
    remote: &str,
) -> ApiResult<Caller> {
    if let Some(token) = bearer_token(headers) {
        let now = time::OffsetDateTime::now_utc();
        return match app.issuer.verify(token, &app.config.service, now) {
            Ok(claims) => Ok(Caller::Token(claims)),
            Err(e) => {
                tracing::info!(reason = %e, remote, "bearer token rejected");
                Err(challenge(app, headers, None, Some("invalid_token"))
                    .detail(serde_json::json!({"reason": e.to_string()})))
            }
        };
    }
    if let Some((user, secret)) = basic_credentials(headers) {
        return match verify_credentials(app, &user, &secret, remote).await? {
            Some(p) => Ok(Caller::Principal(p)),
            None => {
                audit_login_failed(app, &user, remote).await;
                Err(challenge(app, headers, None, None))
            }
        };
    }
    if let Some(cert) = cert {
        return match principal_for(app, &cert.common_name).await? {
            Some(p) => Ok(Caller::Principal(p)),
            None => {
                audit_login_failed(app, &cert.common_name, remote).await;
                Err(ApiError::new(
                    Code::Unauthorized,
                    "the client certificate names no active account",
                ))
            }
        };
    }
    Ok(Caller::Principal(Principal::Anonymous))
}

pub(crate) async fn audit_login_failed(app: &App, user: &str, remote: &str) {
    record_failure(app, remote);
    let user: String = user.chars().take(128).collect();
    if let Err(e) = app
        .meta
        .audit(&zoll_meta::NewAudit {
            actor: &user,
            action: "login-failed",
            target: &format!("user:{user}"),
            remote,
            outcome: "denied",
            detail: "",
        })
        .await
    {
        tracing::warn!(error = %e, "cannot write audit entry");
    }
}

/// The organisation context of `repository` for `principal`. `None` when the organisation does
/// not exist.
pub async fn org_context(
    app: &App,
    principal: &Principal,
    repository: &str,
) -> ApiResult<Option<OrgContext>> {
    let org = zoll_auth::organisation_of(repository);
    let Some(row) = app.meta.org(org).await? else {
        return Ok(None);
    };
    let visibility = row
        .visibility
        .parse::<Visibility>()
        .unwrap_or(Visibility::Private);
    let role = match principal {
        Principal::User { name, .. } => app
            .meta
            .roles_in_org(org, name)
            .await?
            .iter()
            .filter_map(|r| r.parse::<Role>().ok())
            .max(),
        _ => None,
    };
    Ok(Some(OrgContext {
        org: org.to_owned(),
        visibility,
        role,
    }))
}

fn action_of(op: Op) -> &'static str {
    match op {
        Op::Push => "push",
        Op::Delete => "delete",
        _ => "pull",
    }
}

/// Whether `caller` may do `op` on `repository` (no error).
pub async fn may(app: &App, caller: &Caller, repository: &str, op: Op) -> ApiResult<bool> {
    Ok(match caller {
        Caller::Token(claims) => claims.allows("repository", repository, action_of(op)),
        Caller::Principal(p) => {
            let ctx = org_context(app, p, repository).await?;
            zoll_auth::allowed(p, op, Some(repository), ctx.as_ref())
        }
    })
}

/// Require `op` on `repository`; the error is a challenge or `DENIED` as the module docs say.
pub async fn require(
    app: &App,
    headers: &HeaderMap,
    caller: &Caller,
    repository: &str,
    op: Op,
) -> ApiResult<()> {
    if may(app, caller, repository, op).await? {
        return Ok(());
    }
    let scope = format!("repository:{repository}:{}", action_of(op));
    match caller {
        Caller::Token(_) => Err(challenge(
            app,
            headers,
            Some(&scope),
            Some("insufficient_scope"),
        )),
        c if c.is_anonymous() => Err(challenge(app, headers, Some(&scope), None)),
        _ => Err(ApiError::new(
            Code::Denied,
            format!("{} may not {} {repository}", caller.name(), action_of(op)),
        )),
    }
}

/// Require an authenticated caller (for `/v2/` and the catalog).
pub fn require_authenticated(app: &App, headers: &HeaderMap, caller: &Caller) -> ApiResult<()> {
    if caller.is_anonymous() {
        return Err(challenge(app, headers, None, None));
    }
    Ok(())
}
