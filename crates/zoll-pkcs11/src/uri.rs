//! PKCS#11 URIs (RFC 7512): parsing with precise errors, a `Display` that never shows the PIN,
//! and the environment fallbacks for the module and the PIN.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Environment variable read for the PIN when the URI has neither `pin-value` nor `pin-source`.
pub const PIN_ENV: &str = "ZOLL_PKCS11_PIN";
/// Environment variable read for the module when the URI has neither `module-path` nor
/// `module-name`.
pub const MODULE_ENV: &str = "ZOLL_PKCS11_MODULE";

/// What `Display` prints instead of a `pin-value`.
pub const REDACTED: &str = "redacted";

/// Characters left as they are in path attribute values (RFC 3986 unreserved); everything
/// else is percent-encoded, which RFC 7512 always allows.
const PATH_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// Query attribute values may keep `/` (RFC 7512 `pk11-qchar`), so paths stay readable.
const QUERY_VALUE: &AsciiSet = &PATH_VALUE.remove(b'/');

/// Why a string is not a PKCS#11 URI. Messages name the attribute but never echo a PIN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UriError {
    #[error("does not start with \"pkcs11:\"")]
    Scheme,
    #[error("a pkcs11 uri has no fragment (\"#...\")")]
    Fragment,
    #[error("empty attribute in the {part} (two separators in a row, or a trailing one)")]
    Empty { part: &'static str },
    #[error("attribute {name:?} has no value (expected {name}=...)")]
    NoValue { name: String },
    #[error("unknown {part} attribute {name:?}")]
    Unknown { part: &'static str, name: String },
    #[error("attribute {name} belongs in the {expected}, not in the {found}")]
    WrongPart {
        name: String,
        expected: &'static str,
        found: &'static str,
    },
    #[error("attribute {name} is given twice")]
    Duplicate { name: String },
    #[error("attribute {name}: bad percent-encoding at byte {pos} of its value")]
    Percent { name: String, pos: usize },
    #[error("attribute {name}: the value is not utf-8 after percent-decoding")]
    Utf8 { name: String },
    #[error("slot-id {value:?} is not a decimal number")]
    SlotId { value: String },
    #[error("library-version {value:?} is not MAJOR or MAJOR.MINOR")]
    LibraryVersion { value: String },
    #[error("type {value:?} is not one of public, private, cert, secret-key, data")]
    Type { value: String },
    #[error("id is empty")]
    EmptyId,
    #[error("module-name {value:?} must be a bare name (use module-path for a path)")]
    ModuleName { value: String },
    #[error("pin-value and pin-source are both given; use one")]
    TwoPins,
    #[error("pin-source {value:?}: only file: uris and plain paths are supported")]
    PinSource { value: String },
}

/// The `type` path attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectType {
    Public,
    Private,
    Cert,
    SecretKey,
    Data,
}

impl ObjectType {
    fn as_str(self) -> &'static str {
        match self {
            ObjectType::Public => "public",
            ObjectType::Private => "private",
            ObjectType::Cert => "cert",
            ObjectType::SecretKey => "secret-key",
            ObjectType::Data => "data",
        }
    }
}

impl fmt::Display for ObjectType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A PIN as text; `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(pub(crate) String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// A parsed RFC 7512 PKCS#11 URI (`pkcs11:token=zoll;object=release?module-path=...`).
///
/// Text attributes are percent-decoded and must be UTF-8; `id` is raw bytes. `Display` prints
/// a canonical form (attributes in a fixed order, values percent-encoded) with `pin-value`
/// replaced by [`REDACTED`]; `Debug` prints the same.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Pkcs11Uri {
    token: Option<String>,
    manufacturer: Option<String>,
    serial: Option<String>,
    model: Option<String>,
    library_manufacturer: Option<String>,
    library_description: Option<String>,
    library_version: Option<(u8, u8)>,
    slot_description: Option<String>,
    slot_manufacturer: Option<String>,
    slot_id: Option<u64>,
    object: Option<String>,
    id: Option<Vec<u8>>,
    object_type: Option<ObjectType>,
    module_name: Option<String>,
    module_path: Option<PathBuf>,
    pin_value: Option<Secret>,
    pin_source: Option<PathBuf>,
    /// Vendor attributes (`x-...`), kept to print them back; they never affect matching.
    vendor_path: Vec<(String, String)>,
    vendor_query: Vec<(String, String)>,
}

const PATH_ATTRS: &[&str] = &[
    "token",
    "manufacturer",
    "serial",
    "model",
    "library-manufacturer",
    "library-description",
    "library-version",
    "slot-description",
    "slot-manufacturer",
    "slot-id",
    "object",
    "id",
    "type",
];
const QUERY_ATTRS: &[&str] = &["module-name", "module-path", "pin-value", "pin-source"];

impl Pkcs11Uri {
    /// `token`: the token label.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }
    /// `manufacturer`: the token manufacturer ID.
    pub fn manufacturer(&self) -> Option<&str> {
        self.manufacturer.as_deref()
    }
    /// `serial`: the token serial number.
    pub fn serial(&self) -> Option<&str> {
        self.serial.as_deref()
    }
    /// `model`: the token model.
    pub fn model(&self) -> Option<&str> {
        self.model.as_deref()
    }
    /// `library-manufacturer`.
    pub fn library_manufacturer(&self) -> Option<&str> {
        self.library_manufacturer.as_deref()
    }
    /// `library-description`.
    pub fn library_description(&self) -> Option<&str> {
        self.library_description.as_deref()
    }
    /// `library-version` as (major, minor); `library-version=2` means (2, 0).
    pub fn library_version(&self) -> Option<(u8, u8)> {
        self.library_version
    }
    /// `slot-description`.
    pub fn slot_description(&self) -> Option<&str> {
        self.slot_description.as_deref()
    }
    /// `slot-manufacturer`.
    pub fn slot_manufacturer(&self) -> Option<&str> {
        self.slot_manufacturer.as_deref()
    }
    /// `slot-id`: the numeric PKCS#11 slot ID.
    pub fn slot_id(&self) -> Option<u64> {
        self.slot_id
    }
    /// `object`: the object label (`CKA_LABEL`).
    pub fn object(&self) -> Option<&str> {
        self.object.as_deref()
    }
    /// `id`: the object ID (`CKA_ID`), percent-decoded bytes.
    pub fn id(&self) -> Option<&[u8]> {
        self.id.as_deref()
    }
    /// `type`.
    pub fn object_type(&self) -> Option<ObjectType> {
        self.object_type
    }
    /// `module-name` (query).
    pub fn module_name(&self) -> Option<&str> {
        self.module_name.as_deref()
    }
    /// `module-path` (query).
    pub fn module_path(&self) -> Option<&Path> {
        self.module_path.as_deref()
    }
    /// `pin-source` (query), as a file path (`file:` stripped).
    pub fn pin_source(&self) -> Option<&Path> {
        self.pin_source.as_deref()
    }
    /// Whether the URI carries a `pin-value` (the value itself is never handed out).
    pub fn has_pin_value(&self) -> bool {
        self.pin_value.is_some()
    }

    /// The module to load: `module-path`, else `module-name` looked up in the usual module
    /// directories, else `$ZOLL_PKCS11_MODULE`. `None` when none of them is given (or a
    /// `module-name` is not found: [`Pkcs11Uri::module_candidates`] says where it was looked for).
    pub fn resolve_module(&self) -> Option<PathBuf> {
        self.resolve_module_with(|k| std::env::var_os(k))
    }

    pub(crate) fn resolve_module_with(
        &self,
        env: impl Fn(&str) -> Option<OsString>,
    ) -> Option<PathBuf> {
        if let Some(p) = &self.module_path {
            return Some(p.clone());
        }
        if self.module_name.is_some() {
            return self.module_candidates().into_iter().find(|p| p.is_file());
        }
        env(MODULE_ENV).filter(|v| !v.is_empty()).map(PathBuf::from)
    }

    /// Where a `module-name` is looked for, in order (empty without `module-name`).
    pub fn module_candidates(&self) -> Vec<PathBuf> {
        let Some(name) = &self.module_name else {
            return Vec::new();
        };
        let multiarch = format!("/usr/lib/{}-linux-gnu", std::env::consts::ARCH);
        let dirs = [
            format!("{multiarch}/pkcs11"),
            "/usr/lib64/pkcs11".to_owned(),
            "/usr/lib/pkcs11".to_owned(),
            "/usr/local/lib/pkcs11".to_owned(),
            "/usr/lib/softhsm".to_owned(),
            "/usr/local/lib/softhsm".to_owned(),
            multiarch,
            "/usr/lib64".to_owned(),
            "/usr/lib".to_owned(),
            "/usr/local/lib".to_owned(),
        ];
        let files = [
            format!("{name}.so"),
            format!("lib{name}.so"),
            format!("{name}-pkcs11.so"),
            format!("lib{name}-pkcs11.so"),
        ];
        dirs.iter()
            .flat_map(|d| files.iter().map(move |f| Path::new(d).join(f)))
            .collect()
    }

    /// The PIN: `pin-value`, else the contents of `pin-source` (one trailing newline removed),
    /// else `$ZOLL_PKCS11_PIN`; `Ok(None)` when none is given.
    pub(crate) fn resolve_pin(&self) -> Result<Option<Secret>, (PathBuf, std::io::Error)> {
        self.resolve_pin_with(|k| std::env::var_os(k))
    }

    pub(crate) fn resolve_pin_with(
        &self,
        env: impl Fn(&str) -> Option<OsString>,
    ) -> Result<Option<Secret>, (PathBuf, std::io::Error)> {
        if let Some(p) = &self.pin_value {
            return Ok(Some(p.clone()));
        }
        if let Some(path) = &self.pin_source {
            let mut text = std::fs::read_to_string(path).map_err(|e| (path.clone(), e))?;
            if text.ends_with('\n') {
                text.pop();
                if text.ends_with('\r') {
                    text.pop();
                }
            }
            return Ok(Some(Secret(text)));
        }
        Ok(env(PIN_ENV).map(|v| Secret(v.to_string_lossy().into_owned())))
    }

    /// The key's label and ID as `object=...;id=...` for messages.
    pub(crate) fn key_name(&self) -> String {
        let mut parts = Vec::new();
        if let Some(o) = &self.object {
            parts.push(format!("object={}", enc(o, PATH_VALUE)));
        }
        if let Some(id) = &self.id {
            parts.push(format!("id={}", enc_id(id)));
        }
        parts.join(";")
    }
}

fn enc(value: &str, set: &'static AsciiSet) -> String {
    utf8_percent_encode(value, set).to_string()
}

fn enc_id(id: &[u8]) -> String {
    id.iter().map(|b| format!("%{b:02X}")).collect()
}

/// Strict percent-decoding: `%` must be followed by two hex digits.
fn decode(name: &str, value: &str) -> Result<Vec<u8>, UriError> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).and_then(|h| {
                let h = std::str::from_utf8(h).ok()?;
                u8::from_str_radix(h, 16).ok()
            });
            match hex {
                Some(b) => out.push(b),
                None => {
                    return Err(UriError::Percent {
                        name: name.to_owned(),
                        pos: i,
                    });
                }
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(out)
}

fn decode_text(name: &str, value: &str) -> Result<String, UriError> {
    String::from_utf8(decode(name, value)?).map_err(|_| UriError::Utf8 {
        name: name.to_owned(),
    })
}

fn set_once<T>(slot: &mut Option<T>, name: &str, value: T) -> Result<(), UriError> {
    if slot.is_some() {
        return Err(UriError::Duplicate {
            name: name.to_owned(),
        });
    }
    *slot = Some(value);
    Ok(())
}

fn split_attr<'a>(seg: &'a str, part: &'static str) -> Result<(&'a str, &'a str), UriError> {
    if seg.is_empty() {
        return Err(UriError::Empty { part });
    }
    seg.split_once('=').ok_or_else(|| UriError::NoValue {
        // The name of an attribute without `=` is the whole segment; a PIN never sits there
        // unless someone typed `pin-value1234`, so cut it to something short and harmless.
        name: seg.chars().take(32).collect(),
    })
}

fn parse_pin_source(value: &str) -> Result<PathBuf, UriError> {
    if let Some(rest) = value.strip_prefix("file:") {
        // file:///abs/path, file://localhost/abs/path, file:/abs/path, file:relative
        let path = match rest.strip_prefix("//") {
            Some(after) => {
                let slash = after.find('/').unwrap_or(after.len());
                let (host, path) = after.split_at(slash);
                if !(host.is_empty() || host == "localhost") || path.is_empty() {
                    return Err(UriError::PinSource {
                        value: value.to_owned(),
                    });
                }
                path
            }
            None => rest,
        };
        if path.is_empty() {
            return Err(UriError::PinSource {
                value: value.to_owned(),
            });
        }
        return Ok(PathBuf::from(path));
    }
    // Any other `scheme:` (RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":") is refused.
    if let Some((scheme, _)) = value.split_once(':') {
        let mut chars = scheme.chars();
        let is_scheme = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        if is_scheme {
            return Err(UriError::PinSource {
                value: value.to_owned(),
            });
        }
    }
    if value.is_empty() {
        return Err(UriError::PinSource {
            value: value.to_owned(),
        });
    }
    Ok(PathBuf::from(value))
}

impl FromStr for Pkcs11Uri {
    type Err = UriError;

    fn from_str(s: &str) -> Result<Self, UriError> {
        let rest = match s.get(..7) {
            Some(p) if p.eq_ignore_ascii_case("pkcs11:") => &s[7..],
            _ => return Err(UriError::Scheme),
        };
        if rest.contains('#') {
            return Err(UriError::Fragment);
        }
        let (path, query) = match rest.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (rest, None),
        };
        let mut uri = Pkcs11Uri::default();
        if !path.is_empty() {
            for seg in path.split(';') {
                let (name, value) = split_attr(seg, "path")?;
                uri.path_attr(name, value)?;
            }
        }
        if let Some(query) = query
            && !query.is_empty()
        {
            for seg in query.split('&') {
                let (name, value) = split_attr(seg, "query")?;
                uri.query_attr(name, value)?;
            }
        }
        if uri.pin_value.is_some() && uri.pin_source.is_some() {
            return Err(UriError::TwoPins);
        }
        Ok(uri)
    }
}

impl Pkcs11Uri {
    fn path_attr(&mut self, name: &str, value: &str) -> Result<(), UriError> {
        let text = || decode_text(name, value);
        match name {
            "token" => set_once(&mut self.token, name, text()?),
            "manufacturer" => set_once(&mut self.manufacturer, name, text()?),
            "serial" => set_once(&mut self.serial, name, text()?),
            "model" => set_once(&mut self.model, name, text()?),
            "library-manufacturer" => set_once(&mut self.library_manufacturer, name, text()?),
            "library-description" => set_once(&mut self.library_description, name, text()?),
            "library-version" => {
                let v = text()?;
                let bad = || UriError::LibraryVersion { value: v.clone() };
                let num = |s: &str| -> Result<u8, UriError> {
                    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(bad());
                    }
                    s.parse().map_err(|_| bad())
                };
                let version = match v.split_once('.') {
                    Some((major, minor)) => (num(major)?, num(minor)?),
                    None => (num(&v)?, 0),
                };
                set_once(&mut self.library_version, name, version)
            }
            "slot-description" => set_once(&mut self.slot_description, name, text()?),
            "slot-manufacturer" => set_once(&mut self.slot_manufacturer, name, text()?),
            "slot-id" => {
                let v = text()?;
                if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(UriError::SlotId { value: v });
                }
                let id = v
                    .parse()
                    .map_err(|_| UriError::SlotId { value: v.clone() })?;
                set_once(&mut self.slot_id, name, id)
            }
            "object" => set_once(&mut self.object, name, text()?),
            "id" => {
                let id = decode(name, value)?;
                if id.is_empty() {
                    return Err(UriError::EmptyId);
                }
                set_once(&mut self.id, name, id)
            }
            "type" => {
                let v = text()?;
                let t = match v.as_str() {
                    "public" => ObjectType::Public,
                    "private" => ObjectType::Private,
                    "cert" => ObjectType::Cert,
                    "secret-key" => ObjectType::SecretKey,
                    "data" => ObjectType::Data,
                    _ => return Err(UriError::Type { value: v }),
                };
                set_once(&mut self.object_type, name, t)
            }
            _ if QUERY_ATTRS.contains(&name) => Err(UriError::WrongPart {
                name: name.to_owned(),
                expected: "query (after ?)",
                found: "path",
            }),
            _ if name.starts_with("x-") => {
                self.vendor_path.push((name.to_owned(), text()?));
                Ok(())
            }
            _ => Err(UriError::Unknown {
                part: "path",
                name: name.to_owned(),
            }),
        }
    }

    fn query_attr(&mut self, name: &str, value: &str) -> Result<(), UriError> {
        let text = || decode_text(name, value);
        match name {
            "module-name" => {
                let v = text()?;
                if v.is_empty() || v.contains('/') {
                    return Err(UriError::ModuleName { value: v });
                }
                set_once(&mut self.module_name, name, v)
            }
            "module-path" => set_once(&mut self.module_path, name, PathBuf::from(text()?)),
            "pin-value" => set_once(&mut self.pin_value, name, Secret(text()?)),
            "pin-source" => {
                let path = parse_pin_source(&text()?)?;
                set_once(&mut self.pin_source, name, path)
            }
            _ if PATH_ATTRS.contains(&name) => Err(UriError::WrongPart {
                name: name.to_owned(),
                expected: "path (before ?)",
                found: "query",
            }),
            _ if name.starts_with("x-") => {
                self.vendor_query.push((name.to_owned(), text()?));
                Ok(())
            }
            _ => Err(UriError::Unknown {
                part: "query",
                name: name.to_owned(),
            }),
        }
    }
}

impl fmt::Display for Pkcs11Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut path: Vec<String> = Vec::new();
        let mut text = |name: &str, v: &Option<String>| {
            if let Some(v) = v {
                path.push(format!("{name}={}", enc(v, PATH_VALUE)));
            }
        };
        text("token", &self.token);
        text("manufacturer", &self.manufacturer);
        text("serial", &self.serial);
        text("model", &self.model);
        text("library-manufacturer", &self.library_manufacturer);
        text("library-description", &self.library_description);
        if let Some((major, minor)) = self.library_version {
            path.push(format!("library-version={major}.{minor}"));
        }
        let mut text = |name: &str, v: &Option<String>| {
            if let Some(v) = v {
                path.push(format!("{name}={}", enc(v, PATH_VALUE)));
            }
        };
        text("slot-description", &self.slot_description);
        text("slot-manufacturer", &self.slot_manufacturer);
        if let Some(id) = self.slot_id {
            path.push(format!("slot-id={id}"));
        }
        if let Some(o) = &self.object {
            path.push(format!("object={}", enc(o, PATH_VALUE)));
        }
        if let Some(id) = &self.id {
            path.push(format!("id={}", enc_id(id)));
        }
        if let Some(t) = self.object_type {
            path.push(format!("type={t}"));
        }
        for (k, v) in &self.vendor_path {
            path.push(format!("{k}={}", enc(v, PATH_VALUE)));
        }

        let mut query: Vec<String> = Vec::new();
        if let Some(m) = &self.module_name {
            query.push(format!("module-name={}", enc(m, QUERY_VALUE)));
        }
        if let Some(m) = &self.module_path {
            query.push(format!(
                "module-path={}",
                enc(&m.to_string_lossy(), QUERY_VALUE)
            ));
        }
        if let Some(p) = &self.pin_source {
            query.push(format!(
                "pin-source={}",
                enc(&p.to_string_lossy(), QUERY_VALUE)
            ));
        }
        if self.pin_value.is_some() {
            query.push(format!("pin-value={REDACTED}"));
        }
        for (k, v) in &self.vendor_query {
            query.push(format!("{k}={}", enc(v, QUERY_VALUE)));
        }

        write!(f, "pkcs11:{}", path.join(";"))?;
        if !query.is_empty() {
            write!(f, "?{}", query.join("&"))?;
        }
        Ok(())
    }
}

impl fmt::Debug for Pkcs11Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pkcs11Uri({self})")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    fn parse(s: &str) -> Pkcs11Uri {
        s.parse().unwrap()
    }

    fn err(s: &str) -> UriError {
        s.parse::<Pkcs11Uri>().unwrap_err()
    }

    #[test]
    fn rfc_7512_examples() {
        let u = parse("pkcs11:");
        assert_eq!(u, Pkcs11Uri::default());
        let u = parse("pkcs11:object=my-pubkey;type=public");
        assert_eq!(u.object(), Some("my-pubkey"));
        assert_eq!(u.object_type(), Some(ObjectType::Public));
        let u = parse("pkcs11:object=my-key;type=private?pin-source=file:/etc/token");
        assert_eq!(u.pin_source(), Some(Path::new("/etc/token")));
        let u = parse(
            "pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;\
             manufacturer=Snake%20Oil,%20Inc.;model=1.0;object=my-certificate;\
             type=cert;id=%69%95%3E%5C%F4%BD%EC%91;serial=",
        );
        assert_eq!(u.token(), Some("The Software PKCS#11 Softtoken"));
        assert_eq!(u.manufacturer(), Some("Snake Oil, Inc."));
        assert_eq!(u.serial(), Some(""));
        assert_eq!(
            u.id(),
            Some(&[0x69, 0x95, 0x3e, 0x5c, 0xf4, 0xbd, 0xec, 0x91][..])
        );
        let u = parse(
            "pkcs11:token=A%20name%20with%20a%20substring%20%25%3B;object=my-certificate;type=cert",
        );
        assert_eq!(u.token(), Some("A name with a substring %;"));
        let u = parse(
            "pkcs11:token=Software%20PKCS%2311%20softtoken;manufacturer=Snake%20Oil,%20Inc.?pin-value=the-pin",
        );
        assert!(u.has_pin_value());
        let u = parse("pkcs11:slot-description=Sun%20Metaslot");
        assert_eq!(u.slot_description(), Some("Sun Metaslot"));
        let u = parse(
            "pkcs11:library-manufacturer=Snake%20Oil,%20Inc.;library-description=Soft%20Token;library-version=1.23",
        );
        assert_eq!(u.library_version(), Some((1, 23)));
        let u = parse(
            "pkcs11:token=Software%20PKCS%2311%20softtoken;manufacturer=Snake%20Oil,%20Inc.;serial=;object=my-certificate;type=cert?pin-value=1234&module-name=mypkcs11",
        );
        assert_eq!(u.module_name(), Some("mypkcs11"));
        let u = parse("pkcs11:slot-id=2;x-vendor=ok?module-path=/mnt/libmypkcs11.so.1&x-q=1");
        assert_eq!(u.slot_id(), Some(2));
        assert_eq!(u.module_path(), Some(Path::new("/mnt/libmypkcs11.so.1")));
        assert_eq!(
            u.to_string(),
            "pkcs11:slot-id=2;x-vendor=ok?module-path=/mnt/libmypkcs11.so.1&x-q=1"
        );
    }

    #[test]
    fn display_redacts_the_pin_and_round_trips() {
        let u = parse(
            "pkcs11:token=zoll;object=release;id=%01%02?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=1234",
        );
        let shown = u.to_string();
        assert!(!shown.contains("1234"), "{shown}");
        assert_eq!(
            shown,
            "pkcs11:token=zoll;object=release;id=%01%02?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=redacted"
        );
        assert!(!format!("{u:?}").contains("1234"));
        // Everything but the PIN survives a round trip.
        let again = parse(&shown);
        assert_eq!(again.object(), u.object());
        assert_eq!(again.id(), u.id());
        assert_eq!(again.module_path(), u.module_path());
        let odd = parse("pkcs11:object=a%20b%3Bc%3Fd%26e%C3%A9");
        assert_eq!(odd.object(), Some("a b;c?d&eé"));
        assert_eq!(parse(&odd.to_string()), odd);
        // Case-insensitive scheme, canonical output.
        assert_eq!(parse("PKCS11:token=t").to_string(), "pkcs11:token=t");
    }

    #[test]
    fn precise_errors() {
        assert_eq!(err("pkcs12:token=a"), UriError::Scheme);
        assert_eq!(err("token=a"), UriError::Scheme);
        assert_eq!(err("pkcs11:token=a#frag"), UriError::Fragment);
        assert_eq!(
            err("pkcs11:token=a;;object=b"),
            UriError::Empty { part: "path" }
        );
        assert_eq!(err("pkcs11:token=a;"), UriError::Empty { part: "path" });
        assert_eq!(err("pkcs11:token=a?&"), UriError::Empty { part: "query" });
        assert_eq!(
            err("pkcs11:token"),
            UriError::NoValue {
                name: "token".into()
            }
        );
        assert_eq!(
            err("pkcs11:label=a"),
            UriError::Unknown {
                part: "path",
                name: "label".into()
            }
        );
        assert_eq!(
            err("pkcs11:token=a?pin=1"),
            UriError::Unknown {
                part: "query",
                name: "pin".into()
            }
        );
        assert!(matches!(
            err("pkcs11:token=a;pin-value=1234"),
            UriError::WrongPart { .. }
        ));
        assert!(
            !err("pkcs11:token=a;pin-value=1234")
                .to_string()
                .contains("1234")
        );
        assert!(matches!(
            err("pkcs11:token=a?object=b"),
            UriError::WrongPart { .. }
        ));
        assert_eq!(
            err("pkcs11:token=a;token=b"),
            UriError::Duplicate {
                name: "token".into()
            }
        );
        assert_eq!(
            err("pkcs11:object=a%2"),
            UriError::Percent {
                name: "object".into(),
                pos: 1
            }
        );
        assert_eq!(
            err("pkcs11:id=%zz"),
            UriError::Percent {
                name: "id".into(),
                pos: 0
            }
        );
        assert_eq!(
            err("pkcs11:object=%FF"),
            UriError::Utf8 {
                name: "object".into()
            }
        );
        assert_eq!(
            err("pkcs11:slot-id=-1"),
            UriError::SlotId { value: "-1".into() }
        );
        assert_eq!(
            err("pkcs11:library-version=1.x"),
            UriError::LibraryVersion {
                value: "1.x".into()
            }
        );
        assert_eq!(
            err("pkcs11:type=key"),
            UriError::Type {
                value: "key".into()
            }
        );
        assert_eq!(err("pkcs11:id="), UriError::EmptyId);
        assert!(matches!(
            err("pkcs11:?module-name=/usr/lib/x.so"),
            UriError::ModuleName { .. }
        ));
        assert_eq!(err("pkcs11:?pin-value=1&pin-source=/p"), UriError::TwoPins);
        assert!(matches!(
            err("pkcs11:?pin-source=https://example.com/pin"),
            UriError::PinSource { .. }
        ));
        assert!(matches!(
            err("pkcs11:?pin-source=file://otherhost/pin"),
            UriError::PinSource { .. }
        ));
        let secret = err("pkcs11:?pin-value=12%Z4").to_string();
        assert!(!secret.contains("12"), "{secret}");
    }

    #[test]
    fn pin_source_forms() {
        for (text, path) in [
            ("file:/run/pin", "/run/pin"),
            ("file:///run/pin", "/run/pin"),
            ("file://localhost/run/pin", "/run/pin"),
            ("/run/pin", "/run/pin"),
            ("pin.txt", "pin.txt"),
        ] {
            let u = parse(&format!("pkcs11:?pin-source={text}"));
            assert_eq!(u.pin_source(), Some(Path::new(path)), "{text}");
        }
    }

    #[test]
    fn environment_fallbacks() {
        let env = |k: &str| match k {
            PIN_ENV => Some(OsString::from("9999")),
            MODULE_ENV => Some(OsString::from("/env/module.so")),
            _ => None,
        };
        let none = |_: &str| None;
        let bare = parse("pkcs11:token=zoll");
        assert_eq!(bare.resolve_pin_with(env).unwrap().unwrap().0, "9999");
        assert_eq!(
            bare.resolve_module_with(env),
            Some(PathBuf::from("/env/module.so"))
        );
        assert!(bare.resolve_pin_with(none).unwrap().is_none());
        assert!(bare.resolve_module_with(none).is_none());

        let full = parse("pkcs11:token=zoll?module-path=/uri/m.so&pin-value=1234");
        assert_eq!(full.resolve_pin_with(env).unwrap().unwrap().0, "1234");
        assert_eq!(
            full.resolve_module_with(env),
            Some(PathBuf::from("/uri/m.so"))
        );

        let dir = tempfile::tempdir().unwrap();
        let pin = dir.path().join("pin");
        std::fs::write(&pin, "4321\r\n").unwrap();
        let from_file = parse(&format!("pkcs11:?pin-source=file:{}", pin.display()));
        assert_eq!(from_file.resolve_pin_with(env).unwrap().unwrap().0, "4321");
        let missing = parse("pkcs11:?pin-source=/nonexistent/pin");
        assert!(missing.resolve_pin_with(env).is_err());

        // module-name is looked up, never falls back to the environment.
        let named = parse("pkcs11:?module-name=zoll-no-such-module");
        assert!(named.resolve_module_with(env).is_none());
        assert!(!named.module_candidates().is_empty());
    }
}
