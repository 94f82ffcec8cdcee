//! `zoll serve`: an OCI Distribution 1.1 registry with accounts, organisations, teams, robots and
//! roles, in one process.
//!
//! - [`routes`] parses `/v2/...` paths by hand: repository names contain slashes, so the action
//!   (`manifests`, `blobs`, `blobs/uploads`, `tags/list`, `referrers`) is found from the end.
//! - [`dist`] implements the distribution API over [`zoll_meta::Meta`] (what exists, who links
//!   what) and a [`zoll_blobstore::BlobStore`] (the bytes).
//! - [`authn`] turns a request into a principal (Basic, Bearer JWT, or client certificate) and
//!   asks [`zoll_auth::allowed`] for each operation; [`token`] is the Docker token endpoint.
//! - [`admin`] is the JSON admin API (`/api/v1`, described by `openapi.yaml`).
//! - [`metrics`], `/healthz`, `/readyz`, the audit log and graceful shutdown are the operations
//!   side; [`tls`] serves HTTPS with certificates re-read when they change.
//!
//! Architecture invariants:
//! - A blob is visible (linked to a repository) only after the blob store verified its digest.
//! - A manifest is stored only when every blob and child manifest it references is linked in the
//!   same repository; a malformed manifest is `MANIFEST_INVALID`, never a 500.
//! - Upload state is in the metadata database, so any replica can continue an upload.
//! - Secrets (passwords, tokens, robot secrets) never reach a log line: only paths, never query
//!   strings or the Authorization header, are logged.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod accounts;
pub mod admin;
pub mod authn;
pub mod config;
pub mod dist;
pub mod error;
pub mod metrics;
pub mod routes;
pub mod tls;
pub mod token;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{any, get};
use zoll_auth::{TokenIssuer, TokenKey};
use zoll_blobstore::BlobStore;
use zoll_meta::Meta;

pub use config::{Config, StorageConfig, TlsConfig};

/// Errors starting the server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Meta(#[from] zoll_meta::Error),
    #[error(transparent)]
    Blobs(#[from] zoll_blobstore::Error),
    #[error(transparent)]
    Auth(#[from] zoll_auth::Error),
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot create metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    #[error("tls: {0}")]
    Tls(String),
    #[error("server failed: {0}")]
    Serve(std::io::Error),
}

/// Key of the token-signing key in the settings table. Replicas share it through the database.
const TOKEN_KEY_SETTING: &str = "token_signing_key";
/// Key of the one-time setup token (present only while no account exists).
pub const SETUP_TOKEN_SETTING: &str = "setup_token";

/// Everything a request handler needs.
pub struct App {
    pub config: Config,
    pub meta: Meta,
    pub blobs: Arc<dyn BlobStore>,
    pub issuer: TokenIssuer,
    pub metrics: metrics::Metrics,
    /// sha256(user NUL password) -> when it was verified. Argon2id costs ~30 ms by design; a CLI
    /// sending Basic on every request must not pay it each time.
    credential_cache: Mutex<HashMap<[u8; 32], Instant>>,
    /// Client address -> (failed logins, window start), for [`authn::check_throttle`].
    login_failures: Mutex<HashMap<String, (u32, Instant)>>,
    /// Concurrent Argon2id checks allowed (one per core).
    argon_permits: tokio::sync::Semaphore,
}

/// Open the metadata store and the blob store named by `config`.
pub async fn open_stores(config: &Config) -> Result<(Meta, Arc<dyn BlobStore>), Error> {
    if config.database.is_none() || matches!(config.storage, StorageConfig::Fs { path: None }) {
        std::fs::create_dir_all(&config.data_dir).map_err(|source| Error::DataDir {
            path: config.data_dir.clone(),
            source,
        })?;
    }
    let meta = Meta::connect(&config.database_url()).await?;
    let blobs: Arc<dyn BlobStore> = match &config.storage {
        StorageConfig::Fs { path } => {
            let root = path
                .clone()
                .unwrap_or_else(|| config.data_dir.join("blobs"));
            Arc::new(zoll_blobstore::FsStore::open(&root)?)
        }
        StorageConfig::S3 {
            bucket,
            endpoint,
            region,
            prefix,
            access_key_id,
            secret_access_key,
            allow_http,
        } => Arc::new(zoll_blobstore::S3Store::new(zoll_blobstore::S3Config {
            bucket: bucket.clone(),
            endpoint: endpoint.clone(),
            region: region.clone(),
            access_key_id: access_key_id.clone(),
            secret_access_key: secret_access_key.clone(),
            prefix: prefix.clone(),
            allow_http: *allow_http,
        })?),
    };
    Ok((meta, blobs))
}

impl App {
    /// Build the application state: stores, the shared token key.
    pub async fn new(config: Config) -> Result<Arc<App>, Error> {
        let (meta, blobs) = open_stores(&config).await?;
        let candidate = TokenKey::generate().to_pkcs8_pem()?;
        let pem = meta
            .setting_or_insert(TOKEN_KEY_SETTING, &candidate)
            .await?;
        let key = TokenKey::from_pkcs8_pem(&pem)?;
        let issuer = TokenIssuer::new(
            key,
            "zoll",
            Duration::from_secs(config.token_ttl_seconds.max(30)),
        );
        Ok(Arc::new(App {
            config,
            meta,
            blobs,
            issuer,
            metrics: metrics::Metrics::new()?,
            credential_cache: Mutex::new(HashMap::new()),
            login_failures: Mutex::new(HashMap::new()),
            argon_permits: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
            ),
        }))
    }

    /// If no account exists, make (or reuse) the one-time setup token and return it.
    pub async fn setup_token(&self) -> Result<Option<String>, Error> {
        if self.meta.count_users().await? > 0 {
            return Ok(None);
        }
        let candidate = zoll_auth::generate_secret("zs_");
        Ok(Some(
            self.meta
                .setting_or_insert(SETUP_TOKEN_SETTING, &candidate)
                .await?,
        ))
    }
}

/// The HTTP application.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/v2", any(dist::dispatch))
        .route("/v2/", any(dist::dispatch))
        .route("/v2/{*rest}", any(dist::dispatch))
        .route("/extensions/v2/{*rest}", any(dist::dispatch))
        .route("/token", get(token::get_token).post(token::post_token))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::render))
        .nest("/api/v1", admin::router())
        .fallback(|| async {
            error::ApiError::new(error::Code::Unsupported, "no such endpoint")
                .status(StatusCode::NOT_FOUND)
        })
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            metrics::track,
        ))
        .with_state(app)
}

async fn readyz(State(app): State<Arc<App>>) -> impl IntoResponse {
    let blobs = app.blobs.total_bytes().await;
    match (app.meta.ping().await, blobs) {
        (Ok(()), Ok(_)) => (StatusCode::OK, "ready".to_owned()),
        (Err(e), _) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("metadata not ready: {e}"),
        ),
        (_, Err(e)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("blob storage not ready: {e}"),
        ),
    }
}

/// Remove uploads nobody touched within the expiry (crash leftovers, abandoned pushes), from
/// the database and the blob store; also staged data the database no longer knows.
pub async fn clean_stale_uploads(app: &App) -> Result<usize, Error> {
    let expiry = i64::try_from(app.config.upload_expiry_seconds).unwrap_or(i64::MAX);
    let cutoff = zoll_meta::now_secs().saturating_sub(expiry);
    let mut removed = 0;
    for u in app.meta.stale_uploads(cutoff).await? {
        app.blobs.abort(&u.id).await?;
        app.meta.delete_upload(&u.id).await?;
        removed += 1;
    }
    let grace = std::time::SystemTime::now()
        .checked_sub(Duration::from_secs(app.config.upload_expiry_seconds))
        .unwrap_or(std::time::UNIX_EPOCH);
    removed += app
        .blobs
        .remove_stale_temporaries(Duration::from_secs(app.config.upload_expiry_seconds))
        .await?;
    for (id, modified) in app.blobs.list_uploads().await? {
        if app.meta.upload(&id).await?.is_none() && modified < grace {
            app.blobs.abort(&id).await?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Serve until `shutdown` resolves; in-flight requests finish first.
pub async fn serve(
    app: Arc<App>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let addr = app.config.listen;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| Error::Listen { addr, source })?;
    serve_on(app, listener, shutdown).await
}

/// Like [`serve`], on a listener the caller bound (tests bind port 0).
pub async fn serve_on(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    match clean_stale_uploads(&app).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(removed = n, "removed stale uploads"),
        Err(e) => tracing::warn!(error = %e, "could not clean stale uploads"),
    }
    let janitor = {
        let app = app.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(600));
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) = clean_stale_uploads(&app).await {
                    tracing::warn!(error = %e, "could not clean stale uploads");
                }
            }
        })
    };
    let result = if let Some(tls) = app.config.tls.clone() {
        tls::serve_tls(app.clone(), listener, &tls, shutdown).await
    } else {
        let service = router(app.clone()).into_make_service_with_connect_info::<SocketAddr>();
        // No Nagle: a response written in two pieces (head, then body) must not wait for the
        // client's delayed ACK (40 ms per request on Linux).
        use axum::serve::ListenerExt as _;
        let listener = listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "cannot set TCP_NODELAY");
            }
        });
        axum::serve(listener, service)
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(Error::Serve)
    };
    janitor.abort();
    result
}

/// The client address of a request, for the audit log.
pub(crate) fn remote_of(ci: Option<&ConnectInfo<SocketAddr>>) -> String {
    ci.map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}
