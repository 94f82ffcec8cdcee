//! The OCI Distribution Specification v1.1 endpoints.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::json;
use zoll_auth::Op;
use zoll_blobstore::ByteStream;
use zoll_core::Digest;
use zoll_meta::{ManifestRecord, NewAudit, NewManifest, RefKind};

use crate::App;
use crate::authn::{self, Caller, ClientCert};
use crate::error::{ApiError, ApiResult, Code};
use crate::routes::{self, Reference, Route};

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";

const DOCKER_CONTENT_DIGEST: HeaderName = HeaderName::from_static("docker-content-digest");
const DOCKER_UPLOAD_UUID: HeaderName = HeaderName::from_static("docker-upload-uuid");
const OCI_SUBJECT: HeaderName = HeaderName::from_static("oci-subject");
const OCI_FILTERS_APPLIED: HeaderName = HeaderName::from_static("oci-filters-applied");
const API_VERSION: HeaderName = HeaderName::from_static("docker-distribution-api-version");
const RANGE: HeaderName = HeaderName::from_static("range");
const SUPPORTS_SIGNATURES: HeaderName = HeaderName::from_static("x-registry-supports-signatures");

/// Most signatures one manifest may carry through the signature extension.
const MAX_SIGNATURES: usize = 64;
/// Largest signature-extension request body (an OpenPGP signed message of a small JSON payload
/// is well under 4 KiB; base64 and JSON add a third).
const MAX_SIGNATURE_BODY: usize = 64 * 1024;

/// One request, parsed.
struct Ctx {
    app: Arc<App>,
    method: Method,
    headers: HeaderMap,
    query: Vec<(String, String)>,
    caller: Caller,
    remote: String,
}

impl Ctx {
    fn param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    async fn require(&self, repo: &str, op: Op) -> ApiResult<()> {
        authn::require(&self.app, &self.headers, &self.caller, repo, op).await
    }

    async fn audit(&self, action: &str, target: &str, detail: &str) {
        if let Err(e) = self
            .app
            .meta
            .audit(&NewAudit {
                actor: &self.caller.name(),
                action,
                target,
                remote: &self.remote,
                outcome: "ok",
                detail,
            })
            .await
        {
            tracing::warn!(error = %e, "cannot write audit entry");
        }
    }
}

/// Decode a query string into pairs (`+` is a space, then percent-decoding), in order.
pub(crate) fn parse_query(q: Option<&str>) -> Vec<(String, String)> {
    let Some(q) = q else { return Vec::new() };
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let dec = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (dec(k), dec(v))
        })
        .collect()
}

/// Every `/v2/...` request lands here.
pub async fn dispatch(State(app): State<Arc<App>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let axum::http::request::Parts {
        method,
        uri,
        headers,
        extensions,
        ..
    } = parts;
    let remote = crate::remote_of(extensions.get::<ConnectInfo<SocketAddr>>());
    let cert = extensions.get::<ClientCert>();
    let route = routes::parse(uri.path())
        .filter(|r| app.config.signature_extension || !matches!(r, Route::Signatures { .. }));
    let label = route.as_ref().map(Route::label);
    // containers/image reads the extension's announcement off the `/v2/` ping, 401 included.
    let announce = app.config.signature_extension && route == Some(Route::Base);
    let result = async {
        let route = route.ok_or_else(|| {
            ApiError::new(Code::Unsupported, "no such endpoint").status(StatusCode::NOT_FOUND)
        })?;
        if let Some(name) = route.name()
            && !zoll_auth::is_valid_repository_name(name)
        {
            return Err(ApiError::new(
                Code::NameInvalid,
                format!("invalid repository name {name:?}"),
            ));
        }
        let caller = authn::identify(&app, &headers, cert, &remote).await?;
        let ctx = Ctx {
            app: app.clone(),
            method,
            headers,
            query: parse_query(uri.query()),
            caller,
            remote,
        };
        handle(&ctx, route, body).await
    }
    .await;
    let mut resp = match result {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    resp.headers_mut()
        .insert(API_VERSION, HeaderValue::from_static("registry/2.0"));
    if announce {
        resp.headers_mut()
            .insert(SUPPORTS_SIGNATURES, HeaderValue::from_static("1"));
    }
    if let Some(label) = label {
        // The metrics middleware reads this instead of parsing the path a second time.
        resp.extensions_mut()
            .insert(crate::metrics::RouteLabel(label));
    }
    resp
}

async fn handle(ctx: &Ctx, route: Route, body: Body) -> ApiResult<Response> {
    let m = &ctx.method;
    let head_or_get = *m == Method::GET || *m == Method::HEAD;
    match route {
        Route::Base if head_or_get => {
            authn::require_authenticated(&ctx.app, &ctx.headers, &ctx.caller)?;
            Ok(json_response(StatusCode::OK, "{}".to_owned()))
        }
        Route::Catalog if *m == Method::GET => catalog(ctx).await,
        Route::Manifest { name, reference } => match *m {
            Method::GET | Method::HEAD => get_manifest(ctx, &name, &reference).await,
            Method::PUT => put_manifest(ctx, &name, &reference, body).await,
            Method::DELETE => delete_manifest(ctx, &name, &reference).await,
            _ => Err(unsupported()),
        },
        Route::Blob { name, digest } => match *m {
            Method::GET | Method::HEAD => get_blob(ctx, &name, &digest).await,
            Method::DELETE => delete_blob(ctx, &name, &digest).await,
            _ => Err(unsupported()),
        },
        Route::UploadStart { name } if *m == Method::POST => start_upload(ctx, &name, body).await,
        Route::Upload { name, id } => match *m {
            Method::GET => upload_status(ctx, &name, &id).await,
            Method::PATCH => patch_upload(ctx, &name, &id, body).await,
            Method::PUT => finish_upload(ctx, &name, &id, body).await,
            Method::DELETE => cancel_upload(ctx, &name, &id).await,
            _ => Err(unsupported()),
        },
        Route::Tags { name } if *m == Method::GET => list_tags(ctx, &name).await,
        Route::Referrers { name, digest } if *m == Method::GET => {
            referrers(ctx, &name, &digest).await
        }
        Route::Signatures { name, digest } => match *m {
            Method::GET => get_signatures(ctx, &name, &digest).await,
            Method::PUT => put_signature(ctx, &name, &digest, body).await,
            _ => Err(unsupported()),
        },
        _ => Err(unsupported()),
    }
}

fn unsupported() -> ApiError {
    ApiError::new(Code::Unsupported, "method not allowed on this endpoint")
}

fn json_response(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

fn set(resp: &mut Response, name: HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        resp.headers_mut().insert(name, v);
    }
}

fn empty(status: StatusCode) -> Response {
    let mut r = status.into_response();
    r.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    r
}

fn parse_digest(s: &str) -> ApiResult<Digest> {
    s.parse::<Digest>()
        .map_err(|e| ApiError::new(Code::DigestInvalid, e.to_string()))
}

fn body_stream(body: Body) -> ByteStream {
    body.into_data_stream()
        .map(|r| r.map_err(std::io::Error::other))
        .boxed()
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// Create the organisation of `repo` (private) if a first push by an authorised caller (a
/// system administrator or a robot granted the pattern) names one that does not exist yet.
async fn ensure_org(ctx: &Ctx, repo: &str) -> ApiResult<()> {
    let org = zoll_auth::organisation_of(repo);
    if ctx.app.meta.org(org).await?.is_none() {
        match ctx.app.meta.create_org(org, "private").await {
            Ok(()) | Err(zoll_meta::Error::Exists(_)) => {}
            Err(e) => return Err(e.into()),
        }
        ctx.audit("org-create", &format!("org:{org}"), "created by first push")
            .await;
    }
    Ok(())
}

// ---- catalog and tags ----

fn page_size(ctx: &Ctx, default: i64) -> ApiResult<i64> {
    match ctx.param("n") {
        None | Some("") => Ok(default),
        Some(n) => n
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .map(|n| n.min(10_000))
            .ok_or_else(|| {
                ApiError::new(Code::Unsupported, format!("invalid page size n={n}"))
                    .status(StatusCode::BAD_REQUEST)
            }),
    }
}

fn link_next(path: &str, n: i64, last: &str) -> String {
    let last = percent_encoding::utf8_percent_encode(last, percent_encoding::NON_ALPHANUMERIC);
    format!("<{path}?n={n}&last={last}>; rel=\"next\"")
}

async fn catalog(ctx: &Ctx) -> ApiResult<Response> {
    authn::require_authenticated(&ctx.app, &ctx.headers, &ctx.caller)?;
    // A token names the repositories it was granted; for the catalog, judge its subject by the
    // roles it holds now (a `registry:catalog:*` token names no repository).
    let caller = match &ctx.caller {
        Caller::Token(claims) if !claims.sub.is_empty() => {
            match authn::principal_for(&ctx.app, &claims.sub).await? {
                Some(p) => Caller::Principal(p),
                None => ctx.caller.clone(),
            }
        }
        other => other.clone(),
    };
    let n = page_size(ctx, 1000)?;
    let mut last = ctx.param("last").map(str::to_owned);
    let mut visible: Vec<String> = Vec::new();
    let mut more = false;
    // Filter by pull permission; fetch in batches until a page (plus one, to know if there is
    // more) is full.
    'outer: loop {
        let batch = ctx
            .app
            .meta
            .repositories(last.as_deref(), (n + 1).max(100))
            .await?;
        if batch.is_empty() {
            break;
        }
        for repo in &batch {
            if authn::may(&ctx.app, &caller, repo, Op::Pull).await? {
                if i64::try_from(visible.len()).unwrap_or(i64::MAX) >= n {
                    more = true;
                    break 'outer;
                }
                visible.push(repo.clone());
            }
        }
        last = batch.last().cloned();
    }
    let body = json!({"repositories": visible}).to_string();
    let mut resp = json_response(StatusCode::OK, body);
    if more && let Some(l) = visible.last() {
        set(&mut resp, header::LINK, &link_next("/v2/_catalog", n, l));
    }
    Ok(resp)
}

async fn list_tags(ctx: &Ctx, name: &str) -> ApiResult<Response> {
    ctx.require(name, Op::Pull).await?;
    if !ctx.app.meta.repository_exists(name).await? {
        return Err(ApiError::new(
            Code::NameUnknown,
            format!("repository {name} is unknown"),
        ));
    }
    let n = page_size(ctx, 100_000)?;
    let mut tags = ctx
        .app
        .meta
        .tags(name, ctx.param("last"), n.saturating_add(1))
        .await?;
    let more = i64::try_from(tags.len()).unwrap_or(i64::MAX) > n;
    tags.truncate(usize::try_from(n).unwrap_or(0));
    let mut resp = json_response(
        StatusCode::OK,
        json!({"name": name, "tags": tags}).to_string(),
    );
    if more && let Some(l) = tags.last() {
        set(
            &mut resp,
            header::LINK,
            &link_next(&format!("/v2/{name}/tags/list"), n, l),
        );
    }
    Ok(resp)
}

// ---- manifests ----

async fn find_manifest(ctx: &Ctx, name: &str, reference: &str) -> ApiResult<ManifestRecord> {
    let found = match routes::parse_reference(reference) {
        Ok(Reference::Tag(t)) => ctx.app.meta.manifest_by_tag(name, &t).await?,
        Ok(Reference::Digest(d)) => ctx.app.meta.manifest(name, &d).await?,
        Err(true) => {
            return Err(ApiError::new(
                Code::DigestInvalid,
                format!("invalid digest {reference:?}"),
            ));
        }
        Err(false) => {
            return Err(ApiError::new(
                Code::ManifestUnknown,
                format!("invalid tag {reference:?}"),
            ));
        }
    };
    found.ok_or_else(|| {
        ApiError::new(
            Code::ManifestUnknown,
            format!("manifest {name}:{reference} is unknown"),
        )
    })
}

async fn get_manifest(ctx: &Ctx, name: &str, reference: &str) -> ApiResult<Response> {
    ctx.require(name, Op::Pull).await?;
    let m = find_manifest(ctx, name, reference).await?;
    let len = m.content.len();
    let mut resp = if ctx.method == Method::HEAD {
        StatusCode::OK.into_response()
    } else {
        (StatusCode::OK, m.content).into_response()
    };
    set(&mut resp, header::CONTENT_TYPE, &m.media_type);
    set(&mut resp, header::CONTENT_LENGTH, &len.to_string());
    set(&mut resp, DOCKER_CONTENT_DIGEST, &m.digest.to_string());
    set(&mut resp, header::ETAG, &format!("\"{}\"", m.digest));
    if let Some(s) = &m.subject {
        set(&mut resp, OCI_SUBJECT, &s.to_string());
    }
    Ok(resp)
}

#[derive(Deserialize)]
struct Descriptor {
    #[serde(rename = "mediaType")]
    media_type: String,
    digest: String,
    size: i64,
    #[serde(default)]
    urls: Vec<String>,
}

#[derive(Deserialize)]
struct ManifestDoc {
    #[serde(rename = "schemaVersion")]
    schema_version: Option<i64>,
    #[serde(rename = "mediaType")]
    media_type: Option<String>,
    #[serde(rename = "artifactType")]
    artifact_type: Option<String>,
    config: Option<Descriptor>,
    layers: Option<Vec<Descriptor>>,
    manifests: Option<Vec<Descriptor>>,
    subject: Option<Descriptor>,
    annotations: Option<BTreeMap<String, String>>,
}

fn invalid(msg: impl Into<String>) -> ApiError {
    ApiError::new(Code::ManifestInvalid, msg)
}

fn descriptor_digest(d: &Descriptor, what: &str) -> ApiResult<Digest> {
    if d.size < 0 {
        return Err(invalid(format!("{what} has a negative size")));
    }
    d.digest
        .parse::<Digest>()
        .map_err(|e| invalid(format!("{what}: {e}")))
}

/// A layer that clients fetch from elsewhere (Windows foreign layers); not required to exist.
fn is_foreign(d: &Descriptor) -> bool {
    !d.urls.is_empty()
        && (d.media_type.contains("foreign") || d.media_type.contains("nondistributable"))
}

struct Parsed {
    media_type: String,
    artifact_type: Option<String>,
    subject: Option<Digest>,
    annotations: Option<String>,
    blobs: Vec<Digest>,
    children: Vec<Digest>,
}

/// Validate a manifest's shape. The `Content-Type` names the type; a `mediaType` field in the
/// body must agree with it.
fn parse_manifest(content_type: Option<&str>, bytes: &[u8]) -> ApiResult<Parsed> {
    let doc: ManifestDoc = serde_json::from_slice(bytes).map_err(|e| {
        invalid(format!(
            "manifest is not valid JSON of the expected shape: {e}"
        ))
    })?;
    let content_type = content_type
        .map(|c| c.split(';').next().unwrap_or(c).trim().to_owned())
        .filter(|c| !c.is_empty() && c != "application/json" && c != "application/octet-stream");
    let media_type = match (content_type, doc.media_type.as_deref()) {
        (Some(ct), Some(mt)) if ct != mt => {
            return Err(invalid(format!(
                "Content-Type {ct} does not match the manifest's mediaType {mt}"
            )));
        }
        (Some(ct), _) => ct,
        (None, Some(mt)) => mt.to_owned(),
        (None, None) if doc.manifests.is_some() => OCI_INDEX.to_owned(),
        (None, None) => OCI_MANIFEST.to_owned(),
    };
    if doc.schema_version != Some(2) {
        return Err(invalid("schemaVersion must be 2"));
    }
    let mut blobs = Vec::new();
    let mut children = Vec::new();
    let artifact_type = match media_type.as_str() {
        OCI_MANIFEST | DOCKER_MANIFEST => {
            let config = doc
                .config
                .as_ref()
                .ok_or_else(|| invalid("image manifest without config"))?;
            blobs.push(descriptor_digest(config, "config")?);
            let layers = doc
                .layers
                .as_ref()
                .ok_or_else(|| invalid("image manifest without layers"))?;
            for (i, l) in layers.iter().enumerate() {
                let d = descriptor_digest(l, &format!("layer {i}"))?;
                if !is_foreign(l) {
                    blobs.push(d);
                }
            }
            if doc.manifests.is_some() {
                return Err(invalid("image manifest with a manifests list"));
            }
            // The referrers API reports config.mediaType when artifactType is absent.
            doc.artifact_type
                .clone()
                .or_else(|| Some(config.media_type.clone()))
        }
        OCI_INDEX | DOCKER_LIST => {
            let manifests = doc
                .manifests
                .as_ref()
                .ok_or_else(|| invalid("index without manifests"))?;
            for (i, m) in manifests.iter().enumerate() {
                children.push(descriptor_digest(m, &format!("manifests[{i}]"))?);
            }
            if doc.config.is_some() || doc.layers.is_some() {
                return Err(invalid("index with config or layers"));
            }
            doc.artifact_type.clone()
        }
        other => {
            return Err(invalid(format!("unsupported manifest media type {other}")));
        }
    };
    let subject = doc
        .subject
        .as_ref()
        .map(|s| descriptor_digest(s, "subject"))
        .transpose()?;
    let annotations = doc
        .annotations
        .as_ref()
        .filter(|a| !a.is_empty())
        .map(|a| serde_json::to_string(a).unwrap_or_default());
    Ok(Parsed {
        media_type,
        artifact_type,
        subject,
        annotations,
        blobs,
        children,
    })
}

async fn put_manifest(ctx: &Ctx, name: &str, reference: &str, body: Body) -> ApiResult<Response> {
    ctx.require(name, Op::Push).await?;
    let reference = match routes::parse_reference(reference) {
        Ok(r) => r,
        Err(true) => {
            return Err(ApiError::new(
                Code::DigestInvalid,
                format!("invalid digest {reference:?}"),
            ));
        }
        // The spec's error codes table has no code for an invalid tag (TAG_INVALID is not in
        // it, and a JSON error body MUST use one of its codes).
        Err(false) => {
            return Err(invalid(format!("invalid tag {reference:?}")));
        }
    };
    let max = ctx.app.config.max_manifest_bytes;
    if content_length(&ctx.headers).is_some_and(|l| l > max as u64) {
        return Err(too_large(max));
    }
    let bytes = axum::body::to_bytes(body, max)
        .await
        .map_err(|_| too_large(max))?;
    let digest = match &reference {
        Reference::Digest(want) => {
            let got = Digest::of(want.algorithm(), &bytes);
            if &got != want {
                return Err(ApiError::new(
                    Code::DigestInvalid,
                    format!("manifest digest {got} does not match {want}"),
                ));
            }
            got
        }
        Reference::Tag(_) => Digest::sha256(&bytes),
    };
    let content = std::str::from_utf8(&bytes)
        .map_err(|_| invalid("manifest is not UTF-8 JSON"))?
        .to_owned();
    let ct = ctx
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let parsed = parse_manifest(ct, &bytes)?;
    let missing = ctx
        .app
        .meta
        .missing_references(name, &parsed.blobs, &parsed.children)
        .await?;
    if !missing.is_empty() {
        let list: Vec<String> = missing.iter().map(ToString::to_string).collect();
        return Err(ApiError::new(
            Code::ManifestBlobUnknown,
            format!("manifest references unknown content: {}", list.join(", ")),
        )
        .detail(json!({"missing": list})));
    }
    ensure_org(ctx, name).await?;
    let mut references: Vec<(Digest, RefKind)> = parsed
        .blobs
        .iter()
        .map(|d| (d.clone(), RefKind::Blob))
        .collect();
    references.extend(
        parsed
            .children
            .iter()
            .map(|d| (d.clone(), RefKind::Manifest)),
    );
    let tag = match &reference {
        Reference::Tag(t) => Some(t.as_str()),
        Reference::Digest(_) => None,
    };
    ctx.app
        .meta
        .put_manifest(&NewManifest {
            repo: name,
            org: zoll_auth::organisation_of(name),
            digest: &digest,
            media_type: &parsed.media_type,
            artifact_type: parsed.artifact_type.as_deref(),
            subject: parsed.subject.as_ref(),
            content: &content,
            annotations: parsed.annotations.as_deref(),
            references,
            tag,
        })
        .await?;
    let target = match tag {
        Some(t) => format!("{name}:{t}@{digest}"),
        None => format!("{name}@{digest}"),
    };
    ctx.audit("push", &target, &parsed.media_type).await;
    let mut resp = empty(StatusCode::CREATED);
    set(
        &mut resp,
        header::LOCATION,
        &format!("/v2/{name}/manifests/{digest}"),
    );
    set(&mut resp, DOCKER_CONTENT_DIGEST, &digest.to_string());
    if let Some(s) = &parsed.subject {
        set(&mut resp, OCI_SUBJECT, &s.to_string());
    }
    Ok(resp)
}

fn too_large(max: usize) -> ApiError {
    ApiError::new(
        Code::SizeInvalid,
        format!("manifest larger than {max} bytes"),
    )
    .status(StatusCode::PAYLOAD_TOO_LARGE)
}

async fn delete_manifest(ctx: &Ctx, name: &str, reference: &str) -> ApiResult<Response> {
    ctx.require(name, Op::Delete).await?;
    match routes::parse_reference(reference) {
        Ok(Reference::Digest(d)) => {
            if !ctx.app.meta.delete_manifest(name, &d).await? {
                return Err(ApiError::new(
                    Code::ManifestUnknown,
                    format!("manifest {name}@{d} is unknown"),
                ));
            }
            ctx.audit("delete", &format!("{name}@{d}"), "manifest")
                .await;
        }
        Ok(Reference::Tag(t)) => {
            if !ctx.app.meta.delete_tag(name, &t).await? {
                return Err(ApiError::new(
                    Code::ManifestUnknown,
                    format!("tag {name}:{t} is unknown"),
                ));
            }
            ctx.audit("delete", &format!("{name}:{t}"), "tag").await;
        }
        Err(true) => {
            return Err(ApiError::new(
                Code::DigestInvalid,
                format!("invalid digest {reference:?}"),
            ));
        }
        Err(false) => {
            return Err(ApiError::new(
                Code::ManifestUnknown,
                format!("invalid tag {reference:?}"),
            ));
        }
    }
    Ok(empty(StatusCode::ACCEPTED))
}

// ---- referrers ----

async fn referrers(ctx: &Ctx, name: &str, digest: &str) -> ApiResult<Response> {
    ctx.require(name, Op::Pull).await?;
    let subject = parse_digest(digest)?;
    let filter = ctx.param("artifactType").filter(|s| !s.is_empty());
    let mut seen = std::collections::HashSet::new();
    let mut manifests = Vec::new();
    for m in ctx.app.meta.referrers(name, &subject, filter).await? {
        seen.insert(m.digest.clone());
        manifests.push(descriptor_json(&m));
    }
    // Referrers that a client recorded with the fallback tag schema (`<alg>-<hex>`, an index of
    // descriptors) count too.
    let fallback = format!("{}-{}", subject.algorithm().as_str(), subject.hex());
    if let Some(index) = ctx.app.meta.manifest_by_tag(name, &fallback).await?
        && let Ok(v) = serde_json::from_str::<serde_json::Value>(&index.content)
        && let Some(list) = v.get("manifests").and_then(|m| m.as_array())
    {
        for d in list {
            let Some(dg) = d
                .get("digest")
                .and_then(|x| x.as_str())
                .and_then(|x| x.parse::<Digest>().ok())
            else {
                continue;
            };
            let at = d.get("artifactType").and_then(|x| x.as_str());
            if filter.is_some_and(|f| at != Some(f)) || !seen.insert(dg) {
                continue;
            }
            manifests.push(d.clone());
        }
    }
    let body = json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": manifests,
    })
    .to_string();
    let mut resp = (StatusCode::OK, body).into_response();
    set(&mut resp, header::CONTENT_TYPE, OCI_INDEX);
    if filter.is_some() {
        set(&mut resp, OCI_FILTERS_APPLIED, "artifactType");
    }
    Ok(resp)
}

fn descriptor_json(m: &ManifestRecord) -> serde_json::Value {
    let mut d = json!({
        "mediaType": m.media_type,
        "digest": m.digest.to_string(),
        "size": m.size,
    });
    if let Some(t) = &m.artifact_type {
        d["artifactType"] = json!(t);
    }
    if let Some(a) = m
        .annotations
        .as_deref()
        .and_then(|a| serde_json::from_str::<serde_json::Value>(a).ok())
    {
        d["annotations"] = a;
    }
    d
}

// ---- blobs ----

/// Parse `Range: bytes=a-b`, `bytes=a-`, `bytes=-n` against `size`. `Err` = unsatisfiable.
fn parse_range(value: &str, size: u64) -> Result<std::ops::Range<u64>, ()> {
    let spec = value.trim().strip_prefix("bytes=").ok_or(())?;
    if spec.contains(',') {
        return Err(());
    }
    let (a, b) = spec.split_once('-').ok_or(())?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: u64 = n.parse().map_err(|_| ())?;
            if n == 0 {
                return Err(());
            }
            (size.saturating_sub(n), size)
        }
        (a, "") => (a.parse().map_err(|_| ())?, size),
        (a, b) => {
            let a: u64 = a.parse().map_err(|_| ())?;
            let b: u64 = b.parse().map_err(|_| ())?;
            if b < a {
                return Err(());
            }
            (a, b.saturating_add(1).min(size))
        }
    };
    if start >= size || start >= end {
        return Err(());
    }
    Ok(start..end)
}

/// One signature as the extension's JSON carries it (containers/image `extensionSignature`).
/// The client's type (`zoll_distribution::types::ExtensionSignature`) tolerates unknown fields,
/// as a client must; the server refuses them, so it keeps this strict twin instead of linking
/// the client crate.
#[derive(serde::Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExtensionSignature {
    #[serde(rename = "schemaVersion")]
    version: u32,
    name: String,
    #[serde(rename = "type")]
    kind: String,
    /// base64 (Go encodes `[]byte` so).
    content: String,
}

/// The manifest a signature request names; it must exist in the repository.
async fn signed_manifest(ctx: &Ctx, name: &str, digest: &str) -> ApiResult<Digest> {
    let d = parse_digest(digest)?;
    if ctx.app.meta.manifest(name, &d).await?.is_none() {
        return Err(ApiError::new(
            Code::ManifestUnknown,
            format!("manifest {d} is unknown to repository {name}"),
        ));
    }
    Ok(d)
}

/// `GET /extensions/v2/<name>/signatures/<digest>`: the stored signatures (an empty list when
/// there are none: clients treat anything but 200 as an error).
async fn get_signatures(ctx: &Ctx, name: &str, digest: &str) -> ApiResult<Response> {
    ctx.require(name, Op::Pull).await?;
    let d = signed_manifest(ctx, name, digest).await?;
    let signatures: Vec<ExtensionSignature> = ctx
        .app
        .meta
        .signatures(name, &d)
        .await?
        .into_iter()
        .map(|s| ExtensionSignature {
            version: 2,
            name: s.name,
            kind: s.kind,
            content: s.content,
        })
        .collect();
    Ok(json_response(
        StatusCode::OK,
        json!({ "signatures": signatures }).to_string(),
    ))
}

/// `PUT /extensions/v2/<name>/signatures/<digest>`: add one signature (201). The server keeps
/// it as given; whether it is trusted is decided by whoever verifies it.
async fn put_signature(ctx: &Ctx, name: &str, digest: &str, body: Body) -> ApiResult<Response> {
    ctx.require(name, Op::Push).await?;
    let d = signed_manifest(ctx, name, digest).await?;
    let bytes = axum::body::to_bytes(body, MAX_SIGNATURE_BODY)
        .await
        .map_err(|_| {
            ApiError::new(
                Code::SizeInvalid,
                format!("signature body is larger than {MAX_SIGNATURE_BODY} bytes"),
            )
            .status(StatusCode::PAYLOAD_TOO_LARGE)
        })?;
    let invalid =
        |msg: String| ApiError::new(Code::Unsupported, msg).status(StatusCode::BAD_REQUEST);
    let sig: ExtensionSignature = serde_json::from_slice(&bytes)
        .map_err(|e| invalid(format!("invalid signature for {d} in {name}: {e}")))?;
    if sig.version != 2 {
        return Err(invalid(format!(
            "signature {:?}: unsupported schemaVersion {} (expected 2)",
            sig.name, sig.version
        )));
    }
    let prefix = format!("{d}@");
    let suffix = sig.name.strip_prefix(&prefix).unwrap_or("");
    if suffix.is_empty()
        || suffix.len() > 128
        || !suffix
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(invalid(format!(
            "signature name {:?} must be {prefix}<name> (letters, digits, - and _)",
            sig.name
        )));
    }
    if sig.kind != "atomic" {
        return Err(invalid(format!(
            "signature {:?}: unsupported type {:?} (expected \"atomic\")",
            sig.name, sig.kind
        )));
    }
    use base64::Engine as _;
    match base64::engine::general_purpose::STANDARD.decode(&sig.content) {
        Ok(raw) if !raw.is_empty() => {}
        _ => {
            return Err(invalid(format!(
                "signature {:?}: content is not non-empty base64",
                sig.name
            )));
        }
    }
    let stored = zoll_meta::StoredSignature {
        name: sig.name,
        kind: sig.kind,
        content: sig.content,
    };
    match ctx
        .app
        .meta
        .put_signature(name, &d, &stored, MAX_SIGNATURES)
        .await
    {
        Ok(()) => {}
        Err(zoll_meta::Error::Exists(what)) => {
            return Err(
                ApiError::new(Code::Denied, format!("{what} already exists"))
                    .status(StatusCode::CONFLICT),
            );
        }
        Err(zoll_meta::Error::Limit(what)) => {
            return Err(ApiError::new(Code::Denied, what).status(StatusCode::CONFLICT));
        }
        Err(e) => return Err(e.into()),
    }
    ctx.audit("signature.put", &format!("{name}@{d}"), &stored.name)
        .await;
    Ok(empty(StatusCode::CREATED))
}

async fn get_blob(ctx: &Ctx, name: &str, digest: &str) -> ApiResult<Response> {
    ctx.require(name, Op::Pull).await?;
    let d = parse_digest(digest)?;
    let size = ctx.app.meta.linked_blob(name, &d).await?.ok_or_else(|| {
        ApiError::new(Code::BlobUnknown, format!("blob {d} is unknown in {name}"))
    })?;
    // RFC 9110 §14.2: a Range in a unit other than bytes is ignored. An unsatisfiable one is 416
    // with the complete length and no error document: no code of the spec's table describes it.
    let range = match ctx.headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        Some(r) if r.trim_start().starts_with("bytes=") => match parse_range(r, size) {
            Ok(range) => Some(range),
            Err(()) => {
                let mut resp = empty(StatusCode::RANGE_NOT_SATISFIABLE);
                set(&mut resp, header::CONTENT_RANGE, &format!("bytes */{size}"));
                return Ok(resp);
            }
        },
        _ => None,
    };
    let (status, len) = match &range {
        Some(r) => (StatusCode::PARTIAL_CONTENT, r.end - r.start),
        None => (StatusCode::OK, size),
    };
    let mut resp = if ctx.method == Method::HEAD {
        status.into_response()
    } else {
        let stream = ctx.app.blobs.get(&d, range.clone()).await?;
        (status, Body::from_stream(stream)).into_response()
    };
    set(&mut resp, header::CONTENT_LENGTH, &len.to_string());
    set(&mut resp, header::CONTENT_TYPE, "application/octet-stream");
    set(&mut resp, DOCKER_CONTENT_DIGEST, &d.to_string());
    set(&mut resp, header::ACCEPT_RANGES, "bytes");
    set(&mut resp, header::ETAG, &format!("\"{d}\""));
    set(
        &mut resp,
        header::CACHE_CONTROL,
        "max-age=31536000, immutable",
    );
    if let Some(r) = &range {
        set(
            &mut resp,
            header::CONTENT_RANGE,
            &format!("bytes {}-{}/{size}", r.start, r.end - 1),
        );
    }
    Ok(resp)
}

async fn delete_blob(ctx: &Ctx, name: &str, digest: &str) -> ApiResult<Response> {
    ctx.require(name, Op::Delete).await?;
    let d = parse_digest(digest)?;
    if !ctx.app.meta.unlink_blob(name, &d).await? {
        return Err(ApiError::new(
            Code::BlobUnknown,
            format!("blob {d} is unknown in {name}"),
        ));
    }
    ctx.audit("delete", &format!("{name}@{d}"), "blob").await;
    Ok(empty(StatusCode::ACCEPTED))
}

// ---- uploads ----

fn blob_created(name: &str, d: &Digest) -> Response {
    let mut resp = empty(StatusCode::CREATED);
    set(
        &mut resp,
        header::LOCATION,
        &format!("/v2/{name}/blobs/{d}"),
    );
    set(&mut resp, DOCKER_CONTENT_DIGEST, &d.to_string());
    resp
}

fn upload_accepted(status: StatusCode, name: &str, id: &str, size: u64) -> Response {
    let mut resp = empty(status);
    set(
        &mut resp,
        header::LOCATION,
        &format!("/v2/{name}/blobs/uploads/{id}"),
    );
    set(&mut resp, RANGE, &format!("0-{}", size.saturating_sub(1)));
    set(&mut resp, DOCKER_UPLOAD_UUID, id);
    resp
}

async fn start_upload(ctx: &Ctx, name: &str, body: Body) -> ApiResult<Response> {
    ctx.require(name, Op::Push).await?;
    // Cross-repository mount: only from a repository the caller may pull, else a normal upload.
    if let (Some(mount), Some(from)) = (ctx.param("mount"), ctx.param("from")) {
        let d = parse_digest(mount)?;
        if zoll_auth::is_valid_repository_name(from)
            && authn::may(&ctx.app, &ctx.caller, from, Op::Pull).await?
            && let Some(size) = ctx.app.meta.linked_blob(from, &d).await?
            && ctx.app.blobs.stat(&d).await?.is_some()
        {
            ensure_org(ctx, name).await?;
            ctx.app
                .meta
                .link_blob(name, zoll_auth::organisation_of(name), &d, size)
                .await?;
            return Ok(blob_created(name, &d));
        }
    }
    if let Some(digest) = ctx.param("digest") {
        // Monolithic upload in one POST.
        let d = parse_digest(digest)?;
        let started = std::time::Instant::now();
        let size = ctx
            .app
            .blobs
            .put(&d, content_length(&ctx.headers), body_stream(body))
            .await?;
        ensure_org(ctx, name).await?;
        ctx.app
            .meta
            .link_blob(name, zoll_auth::organisation_of(name), &d, size)
            .await?;
        ctx.app.metrics.observe_upload(started.elapsed(), size);
        return Ok(blob_created(name, &d));
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    ctx.app.meta.create_upload(&id, name).await?;
    Ok(upload_accepted(StatusCode::ACCEPTED, name, &id, 0))
}

async fn load_upload(ctx: &Ctx, name: &str, id: &str) -> ApiResult<zoll_meta::Upload> {
    ctx.require(name, Op::Push).await?;
    let unknown = || ApiError::new(Code::BlobUploadUnknown, format!("upload {id} is unknown"));
    if !zoll_blobstore::is_valid_upload_id(id) {
        return Err(unknown());
    }
    let upload = ctx.app.meta.upload(id).await?.ok_or_else(unknown)?;
    if upload.repo != name {
        return Err(unknown());
    }
    Ok(upload)
}

/// `Content-Range: START-END` (also `bytes START-END/...`).
fn content_range(headers: &HeaderMap) -> ApiResult<Option<(u64, u64)>> {
    let Some(v) = headers.get(header::CONTENT_RANGE) else {
        return Ok(None);
    };
    let bad = || {
        ApiError::new(Code::BlobUploadInvalid, "invalid Content-Range")
            .status(StatusCode::RANGE_NOT_SATISFIABLE)
    };
    let s = v.to_str().map_err(|_| bad())?.trim();
    let s = s.strip_prefix("bytes ").unwrap_or(s);
    let s = s.split('/').next().unwrap_or(s);
    let (a, b) = s.split_once('-').ok_or_else(bad)?;
    let a: u64 = a.trim().parse().map_err(|_| bad())?;
    let b: u64 = b.trim().parse().map_err(|_| bad())?;
    if b < a {
        return Err(bad());
    }
    Ok(Some((a, b)))
}

async fn upload_status(ctx: &Ctx, name: &str, id: &str) -> ApiResult<Response> {
    load_upload(ctx, name, id).await?;
    let size = ctx.app.blobs.upload_size(id).await?;
    Ok(upload_accepted(StatusCode::NO_CONTENT, name, id, size))
}

async fn patch_upload(ctx: &Ctx, name: &str, id: &str, body: Body) -> ApiResult<Response> {
    load_upload(ctx, name, id).await?;
    let current = ctx.app.blobs.upload_size(id).await?;
    let offset = match content_range(&ctx.headers)? {
        Some((start, end)) => {
            let chunk = end - start + 1;
            if start != current || content_length(&ctx.headers).is_some_and(|l| l != chunk) {
                return Err(ApiError::new(
                    Code::BlobUploadInvalid,
                    format!("chunk {start}-{end} does not continue the upload at {current} bytes"),
                )
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .header(RANGE, format!("0-{}", current.saturating_sub(1))));
            }
            start
        }
        None => current,
    };
    let size = ctx.app.blobs.append(id, offset, body_stream(body)).await?;
    ctx.app.meta.set_upload_size(id, size).await?;
    Ok(upload_accepted(StatusCode::ACCEPTED, name, id, size))
}

async fn finish_upload(ctx: &Ctx, name: &str, id: &str, body: Body) -> ApiResult<Response> {
    let upload = load_upload(ctx, name, id).await?;
    let d = ctx
        .param("digest")
        .ok_or_else(|| {
            ApiError::new(
                Code::DigestInvalid,
                "the digest query parameter is required",
            )
        })
        .and_then(parse_digest)?;
    if let Some((start, _)) = content_range(&ctx.headers)? {
        let current = ctx.app.blobs.upload_size(id).await?;
        if start != current {
            return Err(ApiError::new(
                Code::BlobUploadInvalid,
                format!("final chunk starts at {start}, the upload has {current} bytes"),
            )
            .status(StatusCode::RANGE_NOT_SATISFIABLE)
            .header(RANGE, format!("0-{}", current.saturating_sub(1))));
        }
    }
    let result = ctx.app.blobs.commit(id, &d, Some(body_stream(body))).await;
    let size = match result {
        Ok(size) => size,
        Err(e @ zoll_blobstore::Error::DigestMismatch { .. }) => {
            // The store dropped the staged data; the upload is over.
            ctx.app.meta.delete_upload(id).await?;
            return Err(e.into());
        }
        Err(e) => return Err(e.into()),
    };
    ensure_org(ctx, name).await?;
    ctx.app
        .meta
        .link_blob(name, zoll_auth::organisation_of(name), &d, size)
        .await?;
    ctx.app.meta.delete_upload(id).await?;
    let took = zoll_meta::now_secs().saturating_sub(upload.started_at);
    ctx.app.metrics.observe_upload(
        std::time::Duration::from_secs(u64::try_from(took).unwrap_or(0)),
        size,
    );
    Ok(blob_created(name, &d))
}

async fn cancel_upload(ctx: &Ctx, name: &str, id: &str) -> ApiResult<Response> {
    load_upload(ctx, name, id).await?;
    ctx.app.blobs.abort(id).await?;
    ctx.app.meta.delete_upload(id).await?;
    Ok(empty(StatusCode::NO_CONTENT))
}

/// Validate a manifest as `PUT /v2/<name>/manifests/<ref>` does before any lookup: `Ok` with the
/// digests it references (blobs, then child manifests), or the `MANIFEST_INVALID` message. Public
/// for the fuzz target.
pub fn check_manifest(
    content_type: Option<&str>,
    bytes: &[u8],
) -> Result<(Vec<Digest>, Vec<Digest>), String> {
    parse_manifest(content_type, bytes)
        .map(|p| (p.blobs, p.children))
        .map_err(|e| e.message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Ok(0..10));
        assert_eq!(parse_range("bytes=90-", 100), Ok(90..100));
        assert_eq!(parse_range("bytes=-10", 100), Ok(90..100));
        assert_eq!(parse_range("bytes=95-200", 100), Ok(95..100));
        assert!(parse_range("bytes=100-", 100).is_err());
        assert!(parse_range("bytes=5-1", 100).is_err());
        assert!(parse_range("items=0-1", 100).is_err());
        assert!(parse_range("bytes=0-1,3-4", 100).is_err());
    }

    #[test]
    fn manifests_are_validated() {
        let ok = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;
        let p = parse_manifest(Some(OCI_MANIFEST), ok).unwrap();
        assert_eq!(p.blobs.len(), 1);
        assert_eq!(
            p.artifact_type.as_deref(),
            Some("application/vnd.oci.image.config.v1+json")
        );
        assert!(parse_manifest(Some(OCI_INDEX), ok).is_err());
        assert!(parse_manifest(Some(OCI_MANIFEST), b"{").is_err());
        assert!(parse_manifest(Some(OCI_MANIFEST), br#"{"schemaVersion":1}"#).is_err());
        let bad_digest = br#"{"schemaVersion":2,"config":{"mediaType":"x","digest":"sha256:zz","size":2},"layers":[]}"#;
        assert!(parse_manifest(None, bad_digest).is_err());
    }
}
