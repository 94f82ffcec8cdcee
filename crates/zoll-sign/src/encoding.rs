//! Base64 and JSON details shared by the formats: standard padded base64 out (what Go's
//! `encoding/json` writes for `[]byte`), tolerant base64 in, and Go's HTML-safe string escaping
//! so that payloads zoll builds are byte-for-byte what cosign would build.

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};

const STANDARD_ANY_PADDING: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

const URL_SAFE_ANY_PADDING: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Standard alphabet with padding.
pub(crate) fn b64(data: &[u8]) -> String {
    STANDARD.encode(data)
}

/// Standard base64, padding optional (Go writes it, some tools drop it).
pub(crate) fn unb64(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    STANDARD_ANY_PADDING.decode(text)
}

/// Standard or URL-safe base64, padding optional: the DSSE specification allows either alphabet
/// for `payload` and `sig`.
pub(crate) fn unb64_any(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    match STANDARD_ANY_PADDING.decode(text) {
        Ok(bytes) => Ok(bytes),
        Err(standard) => URL_SAFE_ANY_PADDING.decode(text).map_err(|_| standard),
    }
}

/// Rewrite serde_json output the way Go's `encoding/json` escapes strings: `<`, `>`, `&`,
/// U+2028 and U+2029 become `\u003c`, `\u003e`, `\u0026`, `\u2028`, `\u2029`. These characters
/// can only occur inside JSON strings, so a plain substitution is exact.
pub(crate) fn go_escape(json: String) -> String {
    if !json.contains(['<', '>', '&', '\u{2028}', '\u{2029}']) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn base64_flavours() {
        assert_eq!(b64(b"ab"), "YWI=");
        assert_eq!(unb64("YWI=").unwrap(), b"ab");
        assert_eq!(unb64("YWI").unwrap(), b"ab");
        assert_eq!(unb64_any("-_8").unwrap(), [0xfb, 0xff]);
        assert!(unb64("-_8").is_err());
    }

    #[test]
    fn go_escaping() {
        assert_eq!(
            go_escape(r#"{"a":"<&>"}"#.to_owned()),
            r#"{"a":"\u003c\u0026\u003e"}"#
        );
        assert_eq!(go_escape("{}".to_owned()), "{}");
    }
}
