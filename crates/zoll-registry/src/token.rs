//! The Docker/OCI token endpoint (`GET /token`, and the OAuth2 `POST /token` form that Docker
//! uses with `grant_type=password`). Credentials are optional: an anonymous caller gets a token
//! with whatever anonymous callers may do (pull from public organisations), which is how clients
//! pull public images after the `/v2/` challenge.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Form;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use zoll_auth::{Principal, ResourceType};

use crate::App;
use crate::authn::{self, ClientCert, ReqInfo};
use crate::error::{ApiError, ApiResult, Code};

pub async fn get_token(
    State(app): State<Arc<App>>,
    info: ReqInfo,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let remote = info.remote.clone();
    let q = query.unwrap_or_default();
    let params = crate::dist::parse_query(Some(&q));
    let scopes: Vec<&str> = params
        .iter()
        .filter(|(k, _)| k == "scope")
        .map(|(_, v)| v.as_str())
        .collect();
    let service = params
        .iter()
        .find(|(k, _)| k == "service")
        .map(|(_, v)| v.as_str());
    let creds = authn::basic_credentials(&headers);
    issue(&app, creds, info.cert, service, &scopes, &remote)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

#[derive(Deserialize)]
pub struct TokenForm {
    grant_type: Option<String>,
    username: Option<String>,
    password: Option<String>,
    scope: Option<String>,
    service: Option<String>,
}

pub async fn post_token(
    State(app): State<Arc<App>>,
    info: ReqInfo,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Response {
    let remote = info.remote.clone();
    if form.grant_type.as_deref().is_some_and(|g| g != "password") {
        return ApiError::new(
            Code::Unsupported,
            "only grant_type=password is supported; refresh tokens are not issued",
        )
        .status(StatusCode::BAD_REQUEST)
        .into_response();
    }
    let creds = match (form.username, form.password) {
        (Some(u), Some(p)) => Some((u, p)),
        _ => authn::basic_credentials(&headers),
    };
    let scopes: Vec<&str> = form.scope.as_deref().into_iter().collect();
    issue(&app, creds, None, form.service.as_deref(), &scopes, &remote)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn issue(
    app: &App,
    creds: Option<(String, String)>,
    cert: Option<ClientCert>,
    service: Option<&str>,
    scopes: &[&str],
    remote: &str,
) -> ApiResult<Response> {
    if let Some(s) = service
        && s != app.config.service
    {
        return Err(ApiError::new(
            Code::Denied,
            format!(
                "this registry issues tokens for service {:?}, not {s:?}",
                app.config.service
            ),
        )
        .status(StatusCode::BAD_REQUEST));
    }
    let principal = match (creds, cert) {
        (Some((user, secret)), _) => {
            match authn::verify_credentials(app, &user, &secret, remote).await? {
                Some(p) => {
                    audit(app, p.subject(), "login", remote).await;
                    p
                }
                None => {
                    authn::audit_login_failed(app, &user, remote).await;
                    return Err(
                        ApiError::new(Code::Unauthorized, "invalid username or password")
                            .header(header::WWW_AUTHENTICATE, "Basic realm=\"zoll\""),
                    );
                }
            }
        }
        (None, Some(cert)) => authn::principal_for(app, &cert.common_name)
            .await?
            .ok_or_else(|| {
                ApiError::new(
                    Code::Unauthorized,
                    "the client certificate names no active account",
                )
            })?,
        (None, None) => Principal::Anonymous,
    };
    let requested = zoll_auth::parse_scopes(scopes)
        .map_err(|e| ApiError::new(Code::Denied, e.to_string()).status(StatusCode::BAD_REQUEST))?;
    let mut orgs = HashMap::new();
    for s in &requested {
        if s.resource_type == ResourceType::Repository && !orgs.contains_key(&s.name) {
            let ctx = authn::org_context(app, &principal, &s.name).await?;
            orgs.insert(s.name.clone(), ctx);
        }
    }
    let access = zoll_auth::grant(&principal, &requested, |name| {
        orgs.get(name).cloned().flatten()
    });
    let now = time::OffsetDateTime::now_utc();
    let token = app
        .issuer
        .issue(principal.subject(), &app.config.service, access, now)
        .map_err(|e| ApiError::internal("issue token", e))?;
    let issued_at = now
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let body = json!({
        "token": token,
        "access_token": token,
        "expires_in": app.issuer.ttl().as_secs(),
        "issued_at": issued_at,
    });
    let mut resp = (StatusCode::OK, body.to_string()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(resp)
}

async fn audit(app: &App, actor: &str, action: &str, remote: &str) {
    if let Err(e) = app
        .meta
        .audit(&zoll_meta::NewAudit {
            actor,
            action,
            target: &format!("user:{actor}"),
            remote,
            outcome: "ok",
            detail: "",
        })
        .await
    {
        tracing::warn!(error = %e, "cannot write audit entry");
    }
}
