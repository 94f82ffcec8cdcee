//! [`Client`]: the distribution API calls (manifests, blobs, uploads, tags) on top of one request
//! path that adds authentication (basic, bearer challenge), retries idempotent requests with
//! backoff, and maps failed responses to [`Error`] kinds.

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::Method;
use reqwest::blocking::{Body, RequestBuilder, Response};
use reqwest::header::{self, HeaderMap, HeaderValue};
use serde::Deserialize;
use url::Url;
use zoll_core::{Digest, ImageRef};

use crate::auth::{self, AuthCache, Scheme, Token};
use crate::blob::VerifiedBlob;
use crate::docker_config::{self, StoredAuth};
use crate::error::{Error, RegistryErrors, Subject, status_error};
use crate::options::{ClientOptions, Credentials};
use crate::types;

/// Largest manifest accepted (and pushed): 4 MiB, as Distribution and containerd limit them.
pub const MAX_MANIFEST_SIZE: u64 = 4 << 20;
/// Largest error, token or tag-list body read.
const MAX_SMALL_BODY: u64 = 4 << 20;
/// Most pages followed by [`Client::list_tags`].
const MAX_TAG_PAGES: usize = 10_000;

/// A manifest as the registry served it, with its verified digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// The exact bytes (the digest is over these).
    pub bytes: Vec<u8>,
    /// From `Content-Type`, or the document's `mediaType` when the header is missing or generic.
    pub media_type: String,
    pub digest: Digest,
}

impl Manifest {
    /// Whether this is an index / manifest list.
    pub fn is_index(&self) -> bool {
        types::is_index(&self.media_type)
    }

    /// Parse as an image manifest.
    pub fn image_manifest(&self) -> Result<types::ImageManifest, serde_json::Error> {
        serde_json::from_slice(&self.bytes)
    }

    /// Parse as an index.
    pub fn index(&self) -> Result<types::ImageIndex, serde_json::Error> {
        serde_json::from_slice(&self.bytes)
    }
}

/// A request body: replayable bytes, or a stream that can be sent once.
enum ReqBody {
    None,
    Bytes(Vec<u8>),
    Stream(Option<(Box<dyn Read + Send>, u64)>),
}

/// One logical request (possibly sent several times for auth and retries).
struct Req {
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: ReqBody,
    /// Space-separated token scopes, e.g. `repository:a/b:pull`.
    scope: String,
}

impl Req {
    fn new(method: Method, url: Url, scope: String) -> Req {
        Req {
            method,
            url,
            headers: HeaderMap::new(),
            body: ReqBody::None,
            scope,
        }
    }

    fn header(mut self, name: header::HeaderName, value: &str) -> Req {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.insert(name, v);
        }
        self
    }

    fn replayable(&self) -> bool {
        !matches!(self.body, ReqBody::Stream(_))
    }

    fn retryable(&self) -> bool {
        self.replayable() && self.method != Method::PATCH
    }
}

/// A blocking client for the OCI distribution API. Cheap to share between threads (`&Client`);
/// tokens and credentials are cached inside.
pub struct Client {
    http: reqwest::blocking::Client,
    options: ClientOptions,
    auth: Mutex<AuthCache>,
    stored: Mutex<HashMap<String, Option<StoredAuth>>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Client {
    /// Build a client: reads the CA certificates now; the docker config is read on first use per
    /// registry.
    pub fn new(options: ClientOptions) -> Result<Client, Error> {
        if options.user_agent.is_empty() {
            return Err(Error::Options("user agent is empty".to_owned()));
        }
        let mut builder = reqwest::blocking::Client::builder()
            .use_rustls_tls()
            .user_agent(options.user_agent.clone())
            .connect_timeout(options.connect_timeout)
            .timeout(options.timeout)
            .redirect(redirect_policy());
        for path in &options.ca_certs {
            let pem = fs_err::read(path).map_err(|e| Error::CaCertificate {
                path: path.clone(),
                message: e.to_string(),
            })?;
            let certs =
                reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| Error::CaCertificate {
                    path: path.clone(),
                    message: e.to_string(),
                })?;
            if certs.is_empty() {
                return Err(Error::CaCertificate {
                    path: path.clone(),
                    message: "no PEM certificate in file".to_owned(),
                });
            }
            for c in certs {
                builder = builder.add_root_certificate(c);
            }
        }
        let http = builder.build().map_err(Error::ClientBuild)?;
        Ok(Client {
            http,
            options,
            auth: Mutex::new(AuthCache::default()),
            stored: Mutex::new(HashMap::new()),
        })
    }

    /// The options this client was built with.
    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    // ----- manifests -----

    /// Fetch a manifest or index. The digest is verified against the reference's digest when it
    /// has one, else against `Docker-Content-Digest` when the registry sends it.
    pub fn get_manifest(&self, image: &ImageRef) -> Result<Manifest, Error> {
        let target = image.to_string();
        let url = self.manifest_url(image, &image.manifest_reference())?;
        let req = Req::new(Method::GET, url, pull_scope(image))
            .header(header::ACCEPT, &types::MANIFEST_ACCEPT.join(", "));
        let resp = self.send(image.registry(), req, Subject::Manifest, &target)?;
        let header_digest = header_digest(&resp, &target)?;
        let content_type = content_type(&resp);
        let bytes = read_limited(resp, MAX_MANIFEST_SIZE, &target)?;
        let expected = image.digest().cloned().or(header_digest);
        let digest = match expected {
            Some(want) => {
                let got = Digest::of(want.algorithm(), &bytes);
                if got != want {
                    return Err(Error::DigestMismatch {
                        target,
                        expected: want,
                        actual: got,
                    });
                }
                got
            }
            None => Digest::sha256(&bytes),
        };
        let media_type = match content_type {
            Some(ct) if is_manifest_type(&ct) => ct,
            _ => types::sniff_media_type(&bytes).ok_or_else(|| Error::InvalidResponse {
                target: target.clone(),
                message: "manifest has no media type".to_owned(),
            })?,
        };
        Ok(Manifest {
            bytes,
            media_type,
            digest,
        })
    }

    /// `HEAD` a manifest: `None` when it does not exist, else its digest, media type and size.
    /// Falls back to `GET` when the registry does not send `Docker-Content-Digest`.
    pub fn head_manifest(&self, image: &ImageRef) -> Result<Option<(Digest, String, u64)>, Error> {
        let target = image.to_string();
        let url = self.manifest_url(image, &image.manifest_reference())?;
        let req = Req::new(Method::HEAD, url, pull_scope(image))
            .header(header::ACCEPT, &types::MANIFEST_ACCEPT.join(", "));
        let resp = match self.send(image.registry(), req, Subject::Manifest, &target) {
            Ok(r) => r,
            Err(e) if e.is_not_found() => return Ok(None),
            Err(e) => return Err(e),
        };
        let digest = header_digest(&resp, &target)?;
        let size = header_u64(&resp, header::CONTENT_LENGTH);
        let media_type = content_type(&resp).filter(|ct| is_manifest_type(ct));
        match (digest, size, media_type) {
            (Some(d), Some(s), Some(mt)) => {
                if let Some(want) = image.digest()
                    && *want != d
                {
                    return Err(Error::DigestMismatch {
                        target,
                        expected: want.clone(),
                        actual: d,
                    });
                }
                Ok(Some((d, mt, s)))
            }
            _ => {
                let m = match self.get_manifest(image) {
                    Ok(m) => m,
                    Err(e) if e.is_not_found() => return Ok(None),
                    Err(e) => return Err(e),
                };
                let size = m.bytes.len() as u64;
                Ok(Some((m.digest, m.media_type, size)))
            }
        }
    }

    /// Upload a manifest under the reference's tag (or digest) and return its digest. When the
    /// reference has a digest, the bytes must hash to it.
    pub fn put_manifest(
        &self,
        image: &ImageRef,
        bytes: &[u8],
        media_type: &str,
    ) -> Result<Digest, Error> {
        let target = image.to_string();
        if bytes.len() as u64 > MAX_MANIFEST_SIZE {
            return Err(Error::TooLarge {
                target,
                limit: MAX_MANIFEST_SIZE,
            });
        }
        let digest = match image.digest() {
            Some(want) => {
                let got = Digest::of(want.algorithm(), bytes);
                if got != *want {
                    return Err(Error::DigestMismatch {
                        target,
                        expected: want.clone(),
                        actual: got,
                    });
                }
                got
            }
            None => Digest::sha256(bytes),
        };
        let reference = match image.tag() {
            Some(t) if image.digest().is_none() => t.to_owned(),
            _ => digest.to_string(),
        };
        let url = self.manifest_url(image, &reference)?;
        let mut req =
            Req::new(Method::PUT, url, push_scope(image)).header(header::CONTENT_TYPE, media_type);
        req.body = ReqBody::Bytes(bytes.to_vec());
        let resp = self.send(image.registry(), req, Subject::Manifest, &target)?;
        if let Some(server) = header_digest(&resp, &target)?
            && server.algorithm() == digest.algorithm()
            && server != digest
        {
            return Err(Error::DigestMismatch {
                target,
                expected: digest,
                actual: server,
            });
        }
        Ok(digest)
    }

    /// Delete a manifest (by digest; registries may refuse tags).
    pub fn delete_manifest(&self, image: &ImageRef) -> Result<(), Error> {
        let target = image.to_string();
        let url = self.manifest_url(image, &image.manifest_reference())?;
        let scope = format!("repository:{}:delete", image.repository());
        self.send(
            image.registry(),
            Req::new(Method::DELETE, url, scope),
            Subject::Manifest,
            &target,
        )?;
        Ok(())
    }

    // ----- blobs -----

    /// Start downloading a blob. Nothing is verified yet: the returned reader fails at the end of
    /// the body (or as soon as it exceeds `expected_size`) unless digest and size match.
    /// Redirects to storage hosts are followed without the `Authorization` header.
    pub fn get_blob(
        &self,
        image: &ImageRef,
        digest: &Digest,
        expected_size: Option<u64>,
    ) -> Result<VerifiedBlob, Error> {
        self.get_blob_limited(image, digest, expected_size, None)
    }

    /// Download a whole blob into memory, verified, refusing more than `limit` bytes.
    pub fn get_blob_bytes(
        &self,
        image: &ImageRef,
        digest: &Digest,
        expected_size: Option<u64>,
        limit: u64,
    ) -> Result<Vec<u8>, Error> {
        if let Some(s) = expected_size
            && s > limit
        {
            return Err(Error::TooLarge {
                target: blob_target(image, digest),
                limit,
            });
        }
        self.get_blob_limited(image, digest, expected_size, Some(limit))?
            .into_vec()
    }

    fn get_blob_limited(
        &self,
        image: &ImageRef,
        digest: &Digest,
        expected_size: Option<u64>,
        limit: Option<u64>,
    ) -> Result<VerifiedBlob, Error> {
        let target = blob_target(image, digest);
        let url = self.blob_url(image, digest)?;
        let resp = self.send(
            image.registry(),
            Req::new(Method::GET, url, pull_scope(image)),
            Subject::Blob,
            &target,
        )?;
        let content_length = header_u64(&resp, header::CONTENT_LENGTH);
        if let (Some(want), Some(got)) = (expected_size, content_length)
            && want != got
        {
            return Err(Error::SizeMismatch {
                target,
                expected: want,
                actual: got,
            });
        }
        if let (Some(l), Some(got)) = (limit, content_length)
            && got > l
        {
            return Err(Error::TooLarge { target, limit: l });
        }
        Ok(
            VerifiedBlob::new(Box::new(resp), target, digest.clone(), expected_size)
                .with_limit(limit)
                .with_content_length(content_length),
        )
    }

    /// `HEAD` a blob: its size when it exists.
    pub fn head_blob(&self, image: &ImageRef, digest: &Digest) -> Result<Option<u64>, Error> {
        let target = blob_target(image, digest);
        let url = self.blob_url(image, digest)?;
        match self.send(
            image.registry(),
            Req::new(Method::HEAD, url, pull_scope(image)),
            Subject::Blob,
            &target,
        ) {
            Ok(resp) => Ok(Some(header_u64(&resp, header::CONTENT_LENGTH).unwrap_or(0))),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Upload a blob in one `PUT` (after the `POST` that opens the upload), unless the registry
    /// already has it. The registry checks `digest`; `size` must be the exact length of `data`.
    /// The body is streamed and therefore not retried.
    pub fn push_blob(
        &self,
        image: &ImageRef,
        data: impl Read + Send + 'static,
        size: u64,
        digest: &Digest,
    ) -> Result<(), Error> {
        if self.head_blob(image, digest)?.is_some() {
            tracing::debug!("blob {} already exists", blob_target(image, digest));
            return Ok(());
        }
        let location = self.start_upload(image, digest)?;
        self.finish_upload(
            image,
            digest,
            location,
            ReqBody::Stream(Some((Box::new(data), size))),
        )
    }

    /// Upload a blob held in memory (monolithic, retried on transient errors); returns its
    /// sha256 digest.
    pub fn push_blob_bytes(&self, image: &ImageRef, data: &[u8]) -> Result<Digest, Error> {
        let digest = Digest::sha256(data);
        if self.head_blob(image, &digest)?.is_some() {
            return Ok(digest);
        }
        let location = self.start_upload(image, &digest)?;
        self.finish_upload(image, &digest, location, ReqBody::Bytes(data.to_vec()))?;
        Ok(digest)
    }

    /// Upload a blob in `PATCH` chunks of `chunk_size` bytes, then close the upload with `PUT`.
    /// The data is hashed on the way: when it does not match `digest`, the upload is cancelled and
    /// a [`Error::DigestMismatch`] returned.
    pub fn push_blob_chunked(
        &self,
        image: &ImageRef,
        mut data: impl Read,
        digest: &Digest,
        chunk_size: usize,
    ) -> Result<(), Error> {
        let target = blob_target(image, digest);
        if chunk_size == 0 {
            return Err(Error::Options("chunk size must be positive".to_owned()));
        }
        if self.head_blob(image, digest)?.is_some() {
            return Ok(());
        }
        let mut location = self.start_upload(image, digest)?;
        let mut hasher = digest.algorithm().hasher();
        let mut offset: u64 = 0;
        let mut buf = vec![0u8; chunk_size];
        loop {
            let n = read_full(&mut data, &mut buf).map_err(|source| Error::Io {
                target: target.clone(),
                source,
            })?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            let range = format!("{}-{}", offset, offset + n as u64 - 1);
            let mut req = Req::new(Method::PATCH, location.clone(), push_scope(image))
                .header(header::CONTENT_TYPE, "application/octet-stream")
                .header(header::CONTENT_RANGE, &range);
            req.body = ReqBody::Bytes(buf[..n].to_vec());
            let resp = self.send(image.registry(), req, Subject::Upload, &target)?;
            location = upload_location(&resp, &location, &target)?;
            offset += n as u64;
            if n < chunk_size {
                break;
            }
        }
        let actual = hasher.finish();
        if actual != *digest {
            let _ = self.send(
                image.registry(),
                Req::new(Method::DELETE, location, push_scope(image)),
                Subject::Upload,
                &target,
            );
            return Err(Error::DigestMismatch {
                target,
                expected: digest.clone(),
                actual,
            });
        }
        self.finish_upload(image, digest, location, ReqBody::None)
    }

    /// Ask the registry to mount `digest` from another repository of the same registry. `Ok(true)`
    /// when mounted; `Ok(false)` when the registry declined (the upload it opened instead is
    /// cancelled) and the blob must be pushed.
    pub fn mount_blob(
        &self,
        image: &ImageRef,
        digest: &Digest,
        from: &ImageRef,
    ) -> Result<bool, Error> {
        let target = blob_target(image, digest);
        if from.registry() != image.registry() {
            return Ok(false);
        }
        let mut url = self.repo_url(image, "blobs/uploads/")?;
        url.query_pairs_mut()
            .append_pair("mount", &digest.to_string())
            .append_pair("from", from.repository());
        let scope = format!(
            "{} repository:{}:pull",
            push_scope(image),
            from.repository()
        );
        let resp = self.send(
            image.registry(),
            Req::new(Method::POST, url.clone(), scope),
            Subject::Upload,
            &target,
        )?;
        if resp.status() == reqwest::StatusCode::CREATED {
            return Ok(true);
        }
        if let Ok(location) = upload_location(&resp, &url, &target) {
            let _ = self.send(
                image.registry(),
                Req::new(Method::DELETE, location, push_scope(image)),
                Subject::Upload,
                &target,
            );
        }
        Ok(false)
    }

    fn start_upload(&self, image: &ImageRef, digest: &Digest) -> Result<Url, Error> {
        let target = blob_target(image, digest);
        let url = self.repo_url(image, "blobs/uploads/")?;
        let resp = self.send(
            image.registry(),
            Req::new(Method::POST, url.clone(), push_scope(image)),
            Subject::Upload,
            &target,
        )?;
        upload_location(&resp, &url, &target)
    }

    fn finish_upload(
        &self,
        image: &ImageRef,
        digest: &Digest,
        location: Url,
        body: ReqBody,
    ) -> Result<(), Error> {
        let target = blob_target(image, digest);
        let mut url = location;
        url.query_pairs_mut()
            .append_pair("digest", &digest.to_string());
        let mut req = Req::new(Method::PUT, url, push_scope(image))
            .header(header::CONTENT_TYPE, "application/octet-stream");
        if let ReqBody::Stream(Some((_, size))) = &body {
            req = req.header(header::CONTENT_LENGTH, &size.to_string());
        }
        req.body = body;
        let resp = self.send(image.registry(), req, Subject::Upload, &target)?;
        if let Some(server) = header_digest(&resp, &target)?
            && server.algorithm() == digest.algorithm()
            && server != *digest
        {
            return Err(Error::DigestMismatch {
                target,
                expected: digest.clone(),
                actual: server,
            });
        }
        Ok(())
    }

    // ----- tags -----

    /// All tags of the image's repository, following `Link: <...>; rel="next"` pages.
    pub fn list_tags(&self, image: &ImageRef) -> Result<Vec<String>, Error> {
        self.list_tags_paged(image, None)
    }

    /// Like [`Client::list_tags`], asking for pages of `page_size` tags (`?n=`).
    pub fn list_tags_paged(
        &self,
        image: &ImageRef,
        page_size: Option<u32>,
    ) -> Result<Vec<String>, Error> {
        #[derive(Deserialize)]
        struct TagList {
            #[serde(default)]
            tags: Option<Vec<String>>,
        }
        let target = image.name();
        let mut url = self.repo_url(image, "tags/list")?;
        if let Some(n) = page_size {
            url.query_pairs_mut().append_pair("n", &n.to_string());
        }
        let mut tags = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..MAX_TAG_PAGES {
            if !seen.insert(url.to_string()) {
                return Err(Error::InvalidResponse {
                    target,
                    message: "tag list pages loop".to_owned(),
                });
            }
            let resp = self.send(
                image.registry(),
                Req::new(Method::GET, url.clone(), pull_scope(image)),
                Subject::Tags,
                &target,
            )?;
            let next = next_link(&resp, &url);
            let body = read_limited(resp, MAX_SMALL_BODY, &target)?;
            let page: TagList =
                serde_json::from_slice(&body).map_err(|e| Error::InvalidResponse {
                    target: target.clone(),
                    message: format!("tag list: {e}"),
                })?;
            tags.extend(page.tags.unwrap_or_default());
            match next {
                Some(n) if same_origin(&n, &url) => url = n,
                Some(_) => {
                    return Err(Error::InvalidResponse {
                        target,
                        message: "tag list link to another host".to_owned(),
                    });
                }
                None => return Ok(tags),
            }
        }
        Err(Error::InvalidResponse {
            target,
            message: format!("more than {MAX_TAG_PAGES} tag list pages"),
        })
    }

    // ----- referrers -----

    /// The referrers of a manifest (OCI 1.1 referrers API), optionally only those of one
    /// artifact type. A registry without the API (404) is asked for the fallback tag
    /// `<alg>-<hex>` instead, filtered here; neither existing means no referrers.
    pub fn referrers(
        &self,
        image: &ImageRef,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<types::ImageIndex, Error> {
        let target = format!("{}@{subject}", image.name());
        let mut url = self.repo_url(image, &format!("referrers/{subject}"))?;
        if let Some(t) = artifact_type {
            url.query_pairs_mut().append_pair("artifactType", t);
        }
        let req =
            Req::new(Method::GET, url, pull_scope(image)).header(header::ACCEPT, types::OCI_INDEX);
        let mut index = match self.send(image.registry(), req, Subject::Manifest, &target) {
            Ok(resp) => {
                let body = read_limited(resp, MAX_SMALL_BODY, &target)?;
                serde_json::from_slice::<types::ImageIndex>(&body).map_err(|e| {
                    Error::InvalidResponse {
                        target: target.clone(),
                        message: format!("referrers list: {e}"),
                    }
                })?
            }
            Err(e) if e.is_not_found() => {
                let tag = format!("{}-{}", subject.algorithm().as_str(), subject.hex());
                match self.get_manifest(&image.with_tag(&tag)) {
                    Ok(m) if m.is_index() => m.index().map_err(|e| Error::InvalidResponse {
                        target: target.clone(),
                        message: format!("referrers tag {tag}: {e}"),
                    })?,
                    Ok(_) => {
                        return Err(Error::InvalidResponse {
                            target,
                            message: format!("referrers tag {tag} is not an index"),
                        });
                    }
                    Err(e) if e.is_not_found() => types::ImageIndex::empty(),
                    Err(e) => return Err(e),
                }
            }
            Err(e) => return Err(e),
        };
        if let Some(t) = artifact_type {
            index
                .manifests
                .retain(|d| d.artifact_type.as_deref() == Some(t));
        }
        Ok(index)
    }

    // ----- the signature API extension (containers/image, OpenShift) -----

    /// Whether the registry announces the signature API extension
    /// (`X-Registry-Supports-Signatures: 1` on its `/v2/` ping, whatever the status).
    pub fn supports_signature_extension(&self, registry: &str) -> Result<bool, Error> {
        let url = self
            .base_url(registry)?
            .join("v2/")
            .map_err(|e| Error::Options(format!("registry {registry}: {e}")))?;
        let resp = self.with_retries(registry, true, &mut || {
            Ok(self.http.request(Method::GET, url.clone()))
        })?;
        Ok(resp
            .headers()
            .get("x-registry-supports-signatures")
            .is_some_and(|v| v.as_bytes() == b"1"))
    }

    fn signature_extension_url(&self, image: &ImageRef, digest: &Digest) -> Result<Url, Error> {
        self.base_url(image.registry())?
            .join(&format!(
                "extensions/v2/{}/signatures/{digest}",
                image.repository()
            ))
            .map_err(|e| Error::Options(format!("{}: {e}", image.name())))
    }

    /// The signatures stored for a manifest through the extension.
    pub fn extension_signatures(
        &self,
        image: &ImageRef,
        digest: &Digest,
    ) -> Result<Vec<types::ExtensionSignature>, Error> {
        let target = format!("{}@{digest} signatures", image.name());
        let url = self.signature_extension_url(image, digest)?;
        let resp = self.send(
            image.registry(),
            Req::new(Method::GET, url, pull_scope(image)),
            Subject::Manifest,
            &target,
        )?;
        let body = read_limited(resp, MAX_SMALL_BODY, &target)?;
        let list: types::ExtensionSignatureList =
            serde_json::from_slice(&body).map_err(|e| Error::InvalidResponse {
                target,
                message: format!("signature list: {e}"),
            })?;
        Ok(list.signatures)
    }

    /// Add one signature to a manifest through the extension.
    pub fn put_extension_signature(
        &self,
        image: &ImageRef,
        digest: &Digest,
        signature: &types::ExtensionSignature,
    ) -> Result<(), Error> {
        let target = format!("{}@{digest} signatures", image.name());
        let url = self.signature_extension_url(image, digest)?;
        let mut req = Req::new(Method::PUT, url, push_scope(image))
            .header(header::CONTENT_TYPE, "application/json");
        req.body =
            ReqBody::Bytes(
                serde_json::to_vec(signature).map_err(|e| Error::InvalidResponse {
                    target: target.clone(),
                    message: format!("cannot encode signature: {e}"),
                })?,
            );
        self.send(image.registry(), req, Subject::Manifest, &target)?;
        Ok(())
    }

    /// GET a URL without registry credentials (a lookaside signature store); `None` on 404.
    pub fn get_url(&self, url: &str, limit: u64) -> Result<Option<Vec<u8>>, Error> {
        let parsed = Url::parse(url).map_err(|e| Error::Options(format!("{url}: {e}")))?;
        let resp = self.with_retries(url, true, &mut || {
            Ok(self.http.request(Method::GET, parsed.clone()))
        })?;
        let status = resp.status();
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(Error::InvalidResponse {
                target: url.to_owned(),
                message: format!("http {}", status.as_u16()),
            });
        }
        read_limited(resp, limit, url).map(Some)
    }

    // ----- URLs -----

    /// `https://HOST/` (or `http://` when insecure) for a registry; Docker Hub is served by
    /// `registry-1.docker.io`.
    fn base_url(&self, registry: &str) -> Result<Url, Error> {
        let host = if registry == zoll_core::DEFAULT_REGISTRY {
            "registry-1.docker.io"
        } else {
            registry
        };
        let scheme = if self.options.insecure {
            "http"
        } else {
            "https"
        };
        Url::parse(&format!("{scheme}://{host}/"))
            .map_err(|e| Error::Options(format!("registry {registry}: not a valid host: {e}")))
    }

    fn repo_url(&self, image: &ImageRef, rest: &str) -> Result<Url, Error> {
        let base = self.base_url(image.registry())?;
        base.join(&format!("v2/{}/{}", image.repository(), rest))
            .map_err(|e| Error::Options(format!("{}: {e}", image.name())))
    }

    fn manifest_url(&self, image: &ImageRef, reference: &str) -> Result<Url, Error> {
        self.repo_url(image, &format!("manifests/{reference}"))
    }

    fn blob_url(&self, image: &ImageRef, digest: &Digest) -> Result<Url, Error> {
        self.repo_url(image, &format!("blobs/{digest}"))
    }

    // ----- credentials and tokens -----

    /// Credentials for a registry: explicit, then environment, then docker config (cached).
    fn stored_auth(&self, registry: &str) -> Result<Option<StoredAuth>, Error> {
        if let Some(c) = &self.options.credentials {
            return Ok(Some(StoredAuth::Basic(c.clone())));
        }
        if self.options.use_env_credentials
            && let Some(c) = Credentials::from_env()
        {
            return Ok(Some(StoredAuth::Basic(c)));
        }
        if let Some(found) = lock(&self.stored).get(registry) {
            return Ok(found.clone());
        }
        let found = match &self.options.docker_config {
            Some(path) => docker_config::lookup(path, registry)?,
            None => None,
        };
        lock(&self.stored).insert(registry.to_owned(), found.clone());
        Ok(found)
    }

    /// The `Authorization` value to send up front, from what the registry asked before.
    fn authorization(&self, registry: &str, scope: &str) -> Result<Option<String>, Error> {
        let scheme = lock(&self.auth).schemes.get(registry).cloned();
        match scheme {
            None => Ok(None),
            Some(Scheme::Basic) => Ok(match self.stored_auth(registry)? {
                Some(StoredAuth::Basic(c)) => Some(basic_header(&c)),
                _ => None,
            }),
            Some(Scheme::Bearer { realm, service }) => {
                if let Some(t) = lock(&self.auth).token(registry, scope) {
                    return Ok(Some(format!("Bearer {t}")));
                }
                let token = self.fetch_token(registry, &realm, service.as_deref(), scope)?;
                Ok(Some(format!("Bearer {token}")))
            }
        }
    }

    /// React to a 401: remember the scheme and get a token. `Ok(true)` when retrying may help.
    fn on_unauthorized(
        &self,
        registry: &str,
        scope: &str,
        resp: &Response,
        sent_basic: bool,
    ) -> Result<bool, Error> {
        let challenges: Vec<auth::Challenge> = resp
            .headers()
            .get_all(header::WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(auth::parse_challenges)
            .collect();
        if let Some(b) = challenges
            .iter()
            .find(|c| c.scheme == "bearer" && c.params.contains_key("realm"))
        {
            let realm = b.params.get("realm").cloned().unwrap_or_default();
            let service = b.params.get("service").cloned();
            {
                let mut cache = lock(&self.auth);
                cache.schemes.insert(
                    registry.to_owned(),
                    Scheme::Bearer {
                        realm: realm.clone(),
                        service: service.clone(),
                    },
                );
                cache
                    .tokens
                    .remove(&(registry.to_owned(), scope.to_owned()));
            }
            let mut scopes: Vec<&str> = scope.split(' ').filter(|s| !s.is_empty()).collect();
            if let Some(extra) = b.params.get("scope") {
                for s in extra.split(' ') {
                    if !s.is_empty() && !scopes.contains(&s) {
                        scopes.push(s);
                    }
                }
            }
            let token = self.request_token(registry, &realm, service.as_deref(), &scopes)?;
            lock(&self.auth)
                .tokens
                .insert((registry.to_owned(), scope.to_owned()), token);
            return Ok(true);
        }
        if challenges.iter().any(|c| c.scheme == "basic")
            && !sent_basic
            && let Some(StoredAuth::Basic(_)) = self.stored_auth(registry)?
        {
            lock(&self.auth)
                .schemes
                .insert(registry.to_owned(), Scheme::Basic);
            return Ok(true);
        }
        Ok(false)
    }

    fn fetch_token(
        &self,
        registry: &str,
        realm: &str,
        service: Option<&str>,
        scope: &str,
    ) -> Result<String, Error> {
        let scopes: Vec<&str> = scope.split(' ').filter(|s| !s.is_empty()).collect();
        let token = self.request_token(registry, realm, service, &scopes)?;
        let value = token.value.clone();
        lock(&self.auth)
            .tokens
            .insert((registry.to_owned(), scope.to_owned()), token);
        Ok(value)
    }

    /// Get a token from the realm: `GET` with basic auth (or anonymous), or the OAuth2 refresh-token
    /// `POST` for identity tokens.
    fn request_token(
        &self,
        registry: &str,
        realm: &str,
        service: Option<&str>,
        scopes: &[&str],
    ) -> Result<Token, Error> {
        let terr = |message: String| Error::Token {
            registry: registry.to_owned(),
            realm: realm.to_owned(),
            message,
        };
        let mut url = Url::parse(realm).map_err(|e| terr(format!("invalid realm: {e}")))?;
        if url.scheme() != "https" && url.scheme() != "http" {
            return Err(terr("realm is not an http(s) url".to_owned()));
        }
        let stored = self.stored_auth(registry)?;
        if stored.is_some() && url.scheme() == "http" && !self.options.insecure {
            return Err(terr("refusing to send credentials to a plain-http token realm (use insecure mode to allow it)".to_owned()));
        }
        tracing::debug!(registry, realm, ?scopes, "requesting bearer token");
        let make: Box<dyn Fn() -> RequestBuilder> = match &stored {
            Some(StoredAuth::IdentityToken { token, .. }) => {
                let mut form = url::form_urlencoded::Serializer::new(String::new());
                form.append_pair("grant_type", "refresh_token")
                    .append_pair("refresh_token", token)
                    .append_pair("client_id", "zoll");
                if let Some(s) = service {
                    form.append_pair("service", s);
                }
                if !scopes.is_empty() {
                    form.append_pair("scope", &scopes.join(" "));
                }
                let body = form.finish();
                let url = url.clone();
                let http = self.http.clone();
                Box::new(move || {
                    http.post(url.clone())
                        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                        .body(body.clone())
                })
            }
            other => {
                {
                    let mut q = url.query_pairs_mut();
                    if let Some(s) = service {
                        q.append_pair("service", s);
                    }
                    for s in scopes {
                        q.append_pair("scope", s);
                    }
                    if let Some(StoredAuth::Basic(c)) = other {
                        q.append_pair("account", &c.username);
                    }
                }
                let auth = match other {
                    Some(StoredAuth::Basic(c)) => Some(basic_header(c)),
                    _ => None,
                };
                let url = url.clone();
                let http = self.http.clone();
                Box::new(move || {
                    let rb = http.get(url.clone());
                    match &auth {
                        Some(a) => rb.header(header::AUTHORIZATION, a.as_str()),
                        None => rb,
                    }
                })
            }
        };
        let target = format!("{registry} (token service {realm})");
        let resp = self.with_retries(&target, true, &mut || Ok(make()))?;
        let status = resp.status();
        let body = read_limited(resp, MAX_SMALL_BODY, &target)?;
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            return Err(Error::Unauthorized {
                target,
                errors: RegistryErrors::parse(&body),
            });
        }
        if !status.is_success() {
            return Err(terr(format!(
                "http {}{}",
                status.as_u16(),
                RegistryErrors::parse(&body)
            )));
        }
        #[derive(Deserialize)]
        struct TokenResponse {
            #[serde(default)]
            token: Option<String>,
            #[serde(default)]
            access_token: Option<String>,
            #[serde(default)]
            expires_in: Option<u64>,
        }
        let parsed: TokenResponse = serde_json::from_slice(&body)
            .map_err(|_| terr("the token response is not JSON".to_owned()))?;
        let value = parsed
            .token
            .filter(|t| !t.is_empty())
            .or(parsed.access_token.filter(|t| !t.is_empty()))
            .ok_or_else(|| terr("the token response has no token".to_owned()))?;
        if HeaderValue::from_str(&format!("Bearer {value}")).is_err() {
            return Err(terr(
                "the token has characters not allowed in a header".to_owned(),
            ));
        }
        Ok(Token {
            value,
            expires: Instant::now() + auth::token_lifetime(parsed.expires_in),
        })
    }

    // ----- the request path -----

    /// Send a request with auth and retries; a non-success status becomes an [`Error`].
    fn send(
        &self,
        registry: &str,
        mut req: Req,
        subject: Subject,
        target: &str,
    ) -> Result<Response, Error> {
        let base = self.base_url(registry)?;
        let mut auth_retried = false;
        let mut sent_basic;
        loop {
            let authorization = if same_origin(&req.url, &base) {
                self.authorization(registry, &req.scope)?
            } else {
                None
            };
            sent_basic = authorization
                .as_deref()
                .is_some_and(|a| a.starts_with("Basic "));
            let retryable = req.retryable();
            let resp = {
                let http = &self.http;
                let r = &mut req;
                self.with_retries(target, retryable, &mut || {
                    let mut rb = http
                        .request(r.method.clone(), r.url.clone())
                        .headers(r.headers.clone());
                    if let Some(a) = &authorization {
                        rb = rb.header(header::AUTHORIZATION, a.as_str());
                    }
                    rb = match &mut r.body {
                        ReqBody::None => rb,
                        ReqBody::Bytes(b) => rb.body(b.clone()),
                        ReqBody::Stream(s) => match s.take() {
                            Some((reader, len)) => rb.body(Body::sized(reader, len)),
                            None => {
                                return Err(Error::InvalidResponse {
                                    target: target.to_owned(),
                                    message: "a streamed body cannot be sent twice".to_owned(),
                                });
                            }
                        },
                    };
                    Ok(rb)
                })?
            };
            let status = resp.status();
            if status == reqwest::StatusCode::UNAUTHORIZED
                && !auth_retried
                && req.replayable()
                && same_origin(&req.url, &base)
            {
                auth_retried = true;
                if self.on_unauthorized(registry, &req.scope, &resp, sent_basic)? {
                    continue;
                }
            }
            if status.is_success() {
                return Ok(resp);
            }
            if status.is_redirection() {
                return Err(Error::InvalidResponse {
                    target: target.to_owned(),
                    message: format!("unexpected redirect (http {})", status.as_u16()),
                });
            }
            let body = if req.method == Method::HEAD {
                Vec::new()
            } else {
                read_limited(resp, 64 << 10, target).unwrap_or_default()
            };
            return Err(status_error(subject, target, status.as_u16(), &body));
        }
    }

    /// Send, retrying connection errors, 429 and 5xx with backoff when `retryable`.
    fn with_retries(
        &self,
        target: &str,
        retryable: bool,
        make: &mut dyn FnMut() -> Result<RequestBuilder, Error>,
    ) -> Result<Response, Error> {
        let mut attempt: u32 = 0;
        loop {
            let rb = make()?;
            let can_retry = retryable && attempt < self.options.retries;
            match rb.send() {
                Err(e) => {
                    // URLs may carry signed storage query strings: keep them out of messages.
                    let e = e.without_url();
                    if can_retry && transient(&e) {
                        let delay = self.backoff(attempt, None);
                        tracing::warn!("request to {target} failed ({e}); retrying in {delay:?}");
                        std::thread::sleep(delay);
                        attempt += 1;
                        continue;
                    }
                    return Err(Error::Http {
                        target: target.to_owned(),
                        source: e,
                    });
                }
                Ok(resp) => {
                    let s = resp.status().as_u16();
                    if can_retry && matches!(s, 429 | 500 | 502 | 503 | 504) {
                        let retry_after =
                            header_u64(&resp, header::RETRY_AFTER).map(Duration::from_secs);
                        let delay = self.backoff(attempt, retry_after);
                        tracing::warn!("{target}: http {s}; retrying in {delay:?}");
                        drop(resp);
                        std::thread::sleep(delay);
                        attempt += 1;
                        continue;
                    }
                    return Ok(resp);
                }
            }
        }
    }

    /// Exponential backoff with jitter (half to full delay), or `Retry-After`, at most `max_backoff`.
    fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let exp = self.options.backoff.saturating_mul(1u32 << attempt.min(16));
        let jittered = exp / 2 + exp.mul_f64(jitter() / 2.0);
        let d = match retry_after {
            Some(ra) => ra.max(jittered),
            None => jittered,
        };
        d.min(self.options.max_backoff)
    }
}

/// A number in [0, 1) that differs between calls, without a random-number dependency.
fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

fn transient(e: &reqwest::Error) -> bool {
    if e.is_builder() || e.is_redirect() || e.is_decode() {
        return false;
    }
    // A certificate that does not verify will not verify on the next try either.
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = source {
        let text = format!("{s:?}");
        if text.contains("InvalidCertificate")
            || text.contains("UnknownIssuer")
            || text.contains("certificate")
        {
            return false;
        }
        source = s.source();
    }
    e.is_connect() || e.is_timeout() || e.is_request() || e.is_body()
}

/// Follow up to 10 redirects, never from https to plain http.
fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() >= 10 {
            return attempt.error("too many redirects");
        }
        let downgrade = attempt.url().scheme() == "http"
            && attempt.previous().iter().any(|u| u.scheme() == "https");
        if downgrade {
            return attempt.error("refusing a redirect from https to plain http");
        }
        attempt.follow()
    })
}

fn basic_header(c: &Credentials) -> String {
    let raw = format!("{}:{}", c.username, c.password);
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

fn pull_scope(image: &ImageRef) -> String {
    format!("repository:{}:pull", image.repository())
}

fn push_scope(image: &ImageRef) -> String {
    format!("repository:{}:pull,push", image.repository())
}

fn blob_target(image: &ImageRef, digest: &Digest) -> String {
    format!("{}@{}", image.name(), digest)
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

fn is_manifest_type(ct: &str) -> bool {
    types::is_index(ct)
        || types::is_image_manifest(ct)
        || (ct.starts_with("application/vnd.") && ct.ends_with("+json"))
}

fn content_type(resp: &Response) -> Option<String> {
    let v = resp.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
    let v = v.split(';').next().unwrap_or(v).trim().to_ascii_lowercase();
    (!v.is_empty()).then_some(v)
}

fn header_u64(resp: &Response, name: header::HeaderName) -> Option<u64> {
    resp.headers().get(name)?.to_str().ok()?.trim().parse().ok()
}

/// `Docker-Content-Digest`, if present; a malformed one is an error.
fn header_digest(resp: &Response, target: &str) -> Result<Option<Digest>, Error> {
    let Some(v) = resp.headers().get("docker-content-digest") else {
        return Ok(None);
    };
    let s = v.to_str().map_err(|_| Error::InvalidResponse {
        target: target.to_owned(),
        message: "non-ascii Docker-Content-Digest".to_owned(),
    })?;
    s.trim()
        .parse()
        .map(Some)
        .map_err(|e| Error::InvalidResponse {
            target: target.to_owned(),
            message: format!("Docker-Content-Digest: {e}"),
        })
}

/// The `Location` of an upload response, resolved against the request URL.
fn upload_location(resp: &Response, request_url: &Url, target: &str) -> Result<Url, Error> {
    let loc = resp
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| Error::InvalidResponse {
            target: target.to_owned(),
            message: "upload response without Location".to_owned(),
        })?;
    request_url.join(loc).map_err(|e| Error::InvalidResponse {
        target: target.to_owned(),
        message: format!("invalid upload Location: {e}"),
    })
}

/// The `rel="next"` target of a `Link` header.
fn next_link(resp: &Response, current: &Url) -> Option<Url> {
    for v in resp.headers().get_all(header::LINK) {
        let Ok(v) = v.to_str() else { continue };
        for part in v.split(',') {
            let part = part.trim();
            let Some(rest) = part.strip_prefix('<') else {
                continue;
            };
            let Some((target, params)) = rest.split_once('>') else {
                continue;
            };
            let is_next = params.split(';').any(|p| {
                let p = p.trim().replace(' ', "");
                p == "rel=\"next\"" || p == "rel=next"
            });
            if is_next {
                return current.join(target).ok();
            }
        }
    }
    None
}

/// Read a body up to `limit` bytes; more is [`Error::TooLarge`].
fn read_limited(resp: Response, limit: u64, target: &str) -> Result<Vec<u8>, Error> {
    if let Some(len) = header_u64(&resp, header::CONTENT_LENGTH)
        && len > limit
    {
        return Err(Error::TooLarge {
            target: target.to_owned(),
            limit,
        });
    }
    let mut out = Vec::new();
    resp.take(limit + 1)
        .read_to_end(&mut out)
        .map_err(|source| Error::Io {
            target: target.to_owned(),
            source,
        })?;
    if out.len() as u64 > limit {
        return Err(Error::TooLarge {
            target: target.to_owned(),
            limit,
        });
    }
    Ok(out)
}

/// Fill `buf` as far as the reader allows; returns the count (less than `buf.len()` only at EOF).
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_bounded() {
        let c = Client::new(ClientOptions {
            docker_config: None,
            ..ClientOptions::default()
        })
        .unwrap();
        for a in 0..40 {
            let d = c.backoff(a, None);
            assert!(d <= Duration::from_secs(30), "{d:?}");
        }
        let d0 = c.backoff(0, None);
        assert!(
            d0 >= Duration::from_millis(250) && d0 <= Duration::from_millis(500),
            "{d0:?}"
        );
        assert_eq!(
            c.backoff(0, Some(Duration::from_secs(7))),
            Duration::from_secs(7)
        );
        assert_eq!(
            c.backoff(0, Some(Duration::from_secs(700))),
            Duration::from_secs(30)
        );
    }

    #[test]
    fn client_and_blob_cross_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        fn assert_send<T: Send>() {}
        assert_send_sync::<Client>();
        assert_send::<VerifiedBlob>();
    }

    #[test]
    fn no_credentials_to_plain_http_realm() {
        let c = Client::new(ClientOptions {
            docker_config: None,
            credentials: Some(Credentials::new("u", "pw")),
            ..ClientOptions::default()
        })
        .unwrap();
        let e = c
            .request_token(
                "r.example",
                "http://127.0.0.1:9/token",
                None,
                &["repository:a:pull"],
            )
            .err()
            .unwrap();
        assert!(
            matches!(e, Error::Token { .. }) && e.to_string().contains("plain-http"),
            "{e}"
        );
        let e = c
            .request_token("r.example", "ftp://x/token", None, &[])
            .err()
            .unwrap();
        assert!(e.to_string().contains("not an http(s) url"), "{e}");
    }

    #[test]
    fn base_urls() {
        let c = Client::new(ClientOptions {
            docker_config: None,
            ..ClientOptions::default()
        })
        .unwrap();
        assert_eq!(
            c.base_url("docker.io").unwrap().as_str(),
            "https://registry-1.docker.io/"
        );
        assert_eq!(
            c.base_url("localhost:5000").unwrap().as_str(),
            "https://localhost:5000/"
        );
        let c = Client::new(ClientOptions {
            insecure: true,
            docker_config: None,
            ..ClientOptions::default()
        })
        .unwrap();
        assert_eq!(
            c.base_url("[::1]:5000").unwrap().as_str(),
            "http://[::1]:5000/"
        );
        let image: ImageRef = "localhost:5000/a/b:t".parse().unwrap();
        assert_eq!(
            c.manifest_url(&image, "t").unwrap().as_str(),
            "http://localhost:5000/v2/a/b/manifests/t"
        );
    }
}
