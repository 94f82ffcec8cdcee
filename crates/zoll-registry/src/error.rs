//! Errors as the distribution specification returns them: a status code and a JSON body
//! `{"errors":[{"code","message","detail"}]}` with the spec's codes.

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The error codes of OCI distribution 1.1 (section "Error Codes"), plus `UNKNOWN` for server
/// failures (5xx). A 4xx JSON body MUST use a code of the spec's table, so Docker's extra codes
/// (`RANGE_INVALID`, `TAG_INVALID`) are deliberately absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    BlobUnknown,
    BlobUploadInvalid,
    BlobUploadUnknown,
    DigestInvalid,
    ManifestBlobUnknown,
    ManifestInvalid,
    ManifestUnknown,
    NameInvalid,
    NameUnknown,
    SizeInvalid,
    Unauthorized,
    Denied,
    Unsupported,
    TooManyRequests,
    Unknown,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::BlobUnknown => "BLOB_UNKNOWN",
            Code::BlobUploadInvalid => "BLOB_UPLOAD_INVALID",
            Code::BlobUploadUnknown => "BLOB_UPLOAD_UNKNOWN",
            Code::DigestInvalid => "DIGEST_INVALID",
            Code::ManifestBlobUnknown => "MANIFEST_BLOB_UNKNOWN",
            Code::ManifestInvalid => "MANIFEST_INVALID",
            Code::ManifestUnknown => "MANIFEST_UNKNOWN",
            Code::NameInvalid => "NAME_INVALID",
            Code::NameUnknown => "NAME_UNKNOWN",
            Code::SizeInvalid => "SIZE_INVALID",
            Code::Unauthorized => "UNAUTHORIZED",
            Code::Denied => "DENIED",
            Code::Unsupported => "UNSUPPORTED",
            Code::TooManyRequests => "TOOMANYREQUESTS",
            Code::Unknown => "UNKNOWN",
        }
    }

    fn status(self) -> StatusCode {
        match self {
            Code::BlobUnknown
            | Code::BlobUploadUnknown
            | Code::ManifestUnknown
            | Code::NameUnknown => StatusCode::NOT_FOUND,
            Code::Unauthorized => StatusCode::UNAUTHORIZED,
            Code::Denied => StatusCode::FORBIDDEN,
            Code::Unsupported => StatusCode::METHOD_NOT_ALLOWED,
            Code::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Code::Unknown => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// An error response.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: Code,
    pub message: String,
    /// Boxed: `serde_json::Value` is large (with `preserve_order`, which yara-x turns on) and
    /// this error travels through every handler's `Result`.
    pub detail: Option<Box<serde_json::Value>>,
    pub headers: Vec<(HeaderName, String)>,
}

impl ApiError {
    pub fn new(code: Code, message: impl Into<String>) -> ApiError {
        ApiError {
            status: code.status(),
            code,
            message: message.into(),
            detail: None,
            headers: Vec::new(),
        }
    }

    pub fn status(mut self, status: StatusCode) -> ApiError {
        self.status = status;
        self
    }

    pub fn detail(mut self, detail: serde_json::Value) -> ApiError {
        self.detail = Some(Box::new(detail));
        self
    }

    pub fn header(mut self, name: HeaderName, value: impl Into<String>) -> ApiError {
        self.headers.push((name, value.into()));
        self
    }

    /// A server-side failure. The cause is logged, the client gets a generic message.
    pub fn internal(context: &str, err: impl std::fmt::Display) -> ApiError {
        tracing::error!(%context, error = %err, "internal error");
        ApiError::new(Code::Unknown, format!("internal error: {context}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut entry = json!({"code": self.code.as_str(), "message": self.message});
        if let Some(d) = self.detail {
            entry["detail"] = *d;
        }
        let body = json!({"errors": [entry]}).to_string();
        let mut resp = (self.status, body).into_response();
        let h = resp.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                h.append(name, v);
            }
        }
        resp
    }
}

impl From<zoll_meta::Error> for ApiError {
    fn from(e: zoll_meta::Error) -> ApiError {
        ApiError::internal("metadata", e)
    }
}

impl From<zoll_blobstore::Error> for ApiError {
    fn from(e: zoll_blobstore::Error) -> ApiError {
        use zoll_blobstore::Error as B;
        match e {
            B::NotFound(d) => ApiError::new(Code::BlobUnknown, format!("blob {d} is unknown")),
            B::DigestMismatch { expected, actual } => ApiError::new(
                Code::DigestInvalid,
                format!("content digest {actual} does not match {expected}"),
            ),
            B::SizeMismatch { expected, actual } => ApiError::new(
                Code::SizeInvalid,
                format!("content length {actual} does not match {expected}"),
            ),
            B::OutOfOrder { expected, got, .. } => ApiError::new(
                Code::BlobUploadInvalid,
                format!("chunk starts at {got}, the upload has {expected} bytes"),
            )
            .status(StatusCode::RANGE_NOT_SATISFIABLE)
            .header(
                HeaderName::from_static("range"),
                format!("0-{}", expected.saturating_sub(1)),
            ),
            B::InvalidUpload(id) | B::UnknownUpload(id) => {
                ApiError::new(Code::BlobUploadUnknown, format!("upload {id} is unknown"))
            }
            B::Body(err) => ApiError::new(
                Code::BlobUploadInvalid,
                format!("request body ended early or failed: {err}"),
            ),
            other => ApiError::internal("blob storage", other),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
