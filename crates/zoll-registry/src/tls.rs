//! HTTPS with rustls, optional client certificates, and certificate reload without a restart.
//!
//! Each accepted connection takes the current `ServerConfig`; a watcher re-reads the certificate,
//! key and client CA every few seconds when their modification times change, and swaps the
//! config in. A broken new file is logged and the previous config stays in use.
//!
//! Client certificates are optional even when a client CA is configured (password and token
//! clients keep working); a presented certificate must chain to the CA, and its subject common
//! name becomes the caller's account ([`crate::authn::ClientCert`]). The private key of the
//! client may live in a TPM or PKCS#11 token; the server only checks the chain.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, RootCertStore, ServerConfig};
use tower::ServiceExt;

use crate::authn::ClientCert;
use crate::config::TlsConfig;
use crate::{App, Error};

fn tls_err(path: &Path, what: &str, e: impl std::fmt::Display) -> Error {
    Error::Tls(format!("{what} {}: {e}", path.display()))
}

fn read_pem(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| tls_err(path, "cannot read", e))
}

/// Build a rustls server config from the files.
pub fn load(cfg: &TlsConfig) -> Result<Arc<ServerConfig>, Error> {
    let certs = rustls_pemfile::certs(&mut read_pem(&cfg.cert)?.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| tls_err(&cfg.cert, "invalid certificate PEM", e))?;
    if certs.is_empty() {
        return Err(tls_err(&cfg.cert, "no certificate in", "empty"));
    }
    let key = rustls_pemfile::private_key(&mut read_pem(&cfg.key)?.as_slice())
        .map_err(|e| tls_err(&cfg.key, "invalid key PEM", e))?
        .ok_or_else(|| tls_err(&cfg.key, "no private key in", "empty"))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?;
    let builder = match &cfg.client_ca {
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            for c in rustls_pemfile::certs(&mut read_pem(ca)?.as_slice()) {
                let c = c.map_err(|e| tls_err(ca, "invalid CA PEM", e))?;
                roots
                    .add(c)
                    .map_err(|e| tls_err(ca, "unusable CA certificate in", e))?;
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .allow_unauthenticated()
            .build()
            .map_err(|e| tls_err(ca, "cannot use client CA", e))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(certs, key)
        .map_err(|e| tls_err(&cfg.cert, "certificate and key do not match", e))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn mtimes(cfg: &TlsConfig) -> Vec<Option<SystemTime>> {
    let mut paths: Vec<&PathBuf> = vec![&cfg.cert, &cfg.key];
    if let Some(ca) = &cfg.client_ca {
        paths.push(ca);
    }
    paths
        .iter()
        .map(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
        .collect()
}

/// The subject common name of a verified client certificate.
fn common_name(der: &[u8]) -> Option<String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let cn = cert.subject().iter_common_name().next()?;
    cn.as_str().ok().map(str::to_owned)
}

/// Serve HTTPS on `listener` until `shutdown`; in-flight connections finish first.
pub async fn serve_tls(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    cfg: &TlsConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let current = Arc::new(RwLock::new(load(cfg)?));
    let watcher = {
        let current = current.clone();
        let cfg = cfg.clone();
        tokio::spawn(async move {
            let mut seen = mtimes(&cfg);
            loop {
                tokio::time::sleep(Duration::from_secs(2)).await;
                let now = mtimes(&cfg);
                if now == seen {
                    continue;
                }
                seen = now;
                match load(&cfg) {
                    Ok(new) => {
                        if let Ok(mut c) = current.write() {
                            *c = new;
                            tracing::info!("reloaded TLS certificates");
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "keeping the previous TLS certificates"),
                }
            }
        })
    };
    let router = crate::router(app);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (tcp, addr) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            },
        };
        // No Nagle (see `serve_on`).
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
        let config = match current.read() {
            Ok(c) => c.clone(),
            Err(_) => break,
        };
        let acceptor = TlsAcceptor::from(config);
        let router = router.clone();
        let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
        let watch = graceful.watcher();
        tokio::spawn(async move {
            let tls =
                match tokio::time::timeout(Duration::from_secs(30), acceptor.accept(tcp)).await {
                    Ok(Ok(tls)) => tls,
                    Ok(Err(e)) => {
                        tracing::debug!(error = %e, %addr, "TLS handshake failed");
                        return;
                    }
                    Err(_) => return,
                };
            let cert = tls
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .and_then(|c| common_name(c.as_ref()))
                .map(|common_name| ClientCert { common_name });
            let svc =
                router.map_request(move |mut req: axum::http::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(ConnectInfo(addr));
                    if let Some(c) = &cert {
                        req.extensions_mut().insert(c.clone());
                    }
                    req
                });
            let conn = builder
                .serve_connection_with_upgrades(TokioIo::new(tls), TowerToHyperService::new(svc));
            if let Err(e) = watch.watch(conn.into_owned()).await {
                tracing::debug!(error = %e, %addr, "connection ended with an error");
            }
        });
    }
    watcher.abort();
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
