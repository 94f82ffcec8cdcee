//! Content digests (`sha256:<hex>`, `sha512:<hex>`) as the OCI image specification defines them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::Digest as _;

/// A digest algorithm zoll accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    Sha256,
    Sha512,
}

impl Algorithm {
    /// The algorithm's name as it appears before the colon.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }

    fn hex_len(self) -> usize {
        match self {
            Algorithm::Sha256 => 64,
            Algorithm::Sha512 => 128,
        }
    }

    /// Start hashing with this algorithm.
    pub fn hasher(self) -> Hasher {
        match self {
            Algorithm::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
            Algorithm::Sha512 => Hasher::Sha512(sha2::Sha512::new()),
        }
    }
}

/// Why a string is not a digest.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum DigestError {
    #[error("invalid digest {0:?}: expected ALGORITHM:HEX")]
    Syntax(String),
    #[error("invalid digest {0:?}: unsupported algorithm (sha256 and sha512 are supported)")]
    Algorithm(String),
    #[error("invalid digest {0:?}: the encoded part must be {1} lowercase hex characters")]
    Encoded(String, usize),
}

/// A verified-syntax content digest. Only lowercase hex is accepted, as the OCI spec requires.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    algorithm: Algorithm,
    hex: String,
}

impl Digest {
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The encoded (hex) part.
    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// Digest of a byte slice.
    pub fn of(algorithm: Algorithm, data: &[u8]) -> Digest {
        let mut h = algorithm.hasher();
        h.update(data);
        h.finish()
    }

    /// sha256 digest of a byte slice.
    pub fn sha256(data: &[u8]) -> Digest {
        Digest::of(Algorithm::Sha256, data)
    }

    /// The first 12 hex characters, as `docker images` shows ids.
    pub fn short(&self) -> &str {
        &self.hex[..12]
    }
}

impl FromStr for Digest {
    type Err = DigestError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (alg, hex) = s
            .split_once(':')
            .ok_or_else(|| DigestError::Syntax(s.to_owned()))?;
        let algorithm = match alg {
            "sha256" => Algorithm::Sha256,
            "sha512" => Algorithm::Sha512,
            "" => return Err(DigestError::Syntax(s.to_owned())),
            _ => return Err(DigestError::Algorithm(s.to_owned())),
        };
        let want = algorithm.hex_len();
        if hex.len() != want || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(DigestError::Encoded(s.to_owned(), want));
        }
        Ok(Digest {
            algorithm,
            hex: hex.to_owned(),
        })
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm.as_str(), self.hex)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// An incremental hasher producing a [`Digest`].
#[derive(Clone)]
pub enum Hasher {
    Sha256(sha2::Sha256),
    Sha512(sha2::Sha512),
}

impl Hasher {
    pub fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
        }
    }

    pub fn finish(self) -> Digest {
        match self {
            Hasher::Sha256(h) => Digest {
                algorithm: Algorithm::Sha256,
                hex: hex::encode(h.finalize()),
            },
            Hasher::Sha512(h) => Digest {
                algorithm: Algorithm::Sha512,
                hex: hex::encode(h.finalize()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let d: Digest = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
            .parse()
            .unwrap();
        assert_eq!(d, Digest::sha256(b""));
        assert_eq!(
            d.to_string(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(d.short(), "e3b0c44298fc");
        let d512 = Digest::of(Algorithm::Sha512, b"abc");
        assert_eq!(d512.to_string().parse::<Digest>().unwrap(), d512);
    }

    #[test]
    fn rejects_bad_input() {
        for bad in [
            "",
            "sha256",
            "sha256:",
            "md5:abcd",
            "sha256:ABCDEF",
            "sha256:e3b0",
            ":abc",
        ] {
            assert!(bad.parse::<Digest>().is_err(), "{bad} accepted");
        }
        let upper = "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
        assert!(matches!(
            upper.parse::<Digest>(),
            Err(DigestError::Encoded(_, 64))
        ));
    }
}
