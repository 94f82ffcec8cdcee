//! zoll's version ordering: package versions compared exactly as each ecosystem's own tool
//! compares them.
//!
//! Deciding whether an installed package is affected by an advisory comes down to comparing its
//! version with the advisory's bounds, and every ecosystem orders versions its own way: dpkg puts
//! `1.0~rc1` before `1.0`, Maven says `1.0 == 1`, PEP 440 puts `1.0.dev1` before `1.0a1`, apk puts
//! `1.2_p1` after `1.2`. A [`Version`] is parsed once for one [`Ecosystem`] and then compares with
//! no allocation, so sorting and range checks over thousands of advisories stay cheap.
//!
//! ```
//! use zoll_version::{Ecosystem, Version};
//!
//! let fixed = Version::parse(Ecosystem::Dpkg, "3.0.13-1~deb12u1")?;
//! let installed = Version::parse(Ecosystem::Dpkg, "3.0.11-1~deb12u2")?;
//! assert!(installed < fixed);
//! assert_eq!(Ecosystem::from_osv("Debian:12"), Some(Ecosystem::Dpkg));
//! assert!(zoll_version::compare(Ecosystem::Maven, "1.0", "1.0.0")?.is_eq());
//! # Ok::<(), zoll_version::ParseError>(())
//! ```
//!
//! # Design
//!
//! One module per ordering, each with its own parsed type (`FromStr + Ord`) and its tests next to
//! the code; [`Version`] is the ecosystem-tagged union of them that the rest of zoll uses. Every
//! module keeps numbers as the digits they were written with and compares them by value without
//! converting them to machine integers, so 30-digit components neither overflow nor panic. The
//! ground truth is the OSV reference vectors (google/osv-scalibr `semantic/testdata`), checked line
//! by line by `tests/vectors.rs`; dpkg and rpm are additionally checked against the real
//! `dpkg --compare-versions` and `rpm`'s `rpm.vercmp` on a few hundred generated pairs each.
//! Where a tool is lenient or refuses to compare (apk-tools and invalid versions, npm and
//! `1.1.3.4.5`, pip and legacy versions), the module says what it does and the vectors pin it
//! down.
//!
//! Equality is the ecosystem's equivalence, not string equality: `Version`'s `==` is
//! `cmp() == Equal`, so `1.0 == 1.0.0` for Maven and `1.2.3+a == 1.2.3+b` for npm. For the same
//! reason `Version` does not implement `Hash`; key maps by [`Version::as_str`] or use a `BTreeMap`.
//! Versions of different ecosystems order by ecosystem first (declaration order of [`Ecosystem`]),
//! which keeps `Ord` total but carries no meaning.
//!
//! What is rejected: empty input, whitespace or control characters anywhere, input longer than
//! [`MAX_VERSION_LEN`], and what the ecosystem's tool itself rejects (each module lists it). What
//! a tool only warns about is accepted (dpkg's "version number does not start with digit").
//!
//! # What is hand-written, and why
//!
//! - **PyPI** uses the `pep440_rs` crate for every valid PEP 440 version; only the fallback for
//!   legacy versions (`packaging.LegacyVersion`'s key) is written here, since no crate keeps it.
//!   `pep440_rs` keeps numbers in `u64`, so a PEP 440 version with a 20-digit number falls back
//!   to the legacy order (see [`pep440`]).
//! - **npm, crates.io, Hex, Go, Pub** share one SemVer parser written here: the `semver` crate
//!   takes exactly SemVer's grammar, and advisories and the reference vectors need a leading `v`,
//!   `1`/`1.2` shorthands, numbers beyond `u64` and tolerance of `1.1.3.4.5`; Pub additionally
//!   orders build metadata, which no SemVer crate does.
//! - **dpkg, rpm, apk, Maven, RubyGems, NuGet, Packagist, CRAN, Hackage** are ports of the
//!   ecosystem's own comparison (dpkg's `verrevcmp`, `rpmvercmp`, apk-tools' `version.c`, Maven's
//!   `ComparableVersion`, `Gem::Version`, `NuGetVersion`, PHP's `version_compare`, R's
//!   `package_version`, Cabal's `Version`): the Rust crates that exist for these either order
//!   differently from the tool in the corner cases advisories hit (`~`, `^`, epochs, qualifiers,
//!   invalid apk versions), cap numbers at 64 bits, or pull in much more than a comparison.

#![forbid(unsafe_code)]

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

pub mod apk;
pub mod cran;
pub mod dpkg;
pub mod go;
pub mod hackage;
pub mod maven;
pub mod nuget;
mod num;
pub mod packagist;
pub mod pep440;
pub mod pub_;
pub mod rpm;
pub mod rubygems;
pub mod semver;

pub use apk::ApkVersion;
pub use cran::CranVersion;
pub use dpkg::DpkgVersion;
pub use go::GoVersion;
pub use hackage::HackageVersion;
pub use maven::MavenVersion;
pub use nuget::NuGetVersion;
pub use packagist::PackagistVersion;
pub use pep440::PypiVersion;
pub use pub_::PubVersion;
pub use rpm::RpmVersion;
pub use rubygems::GemVersion;
pub use semver::SemverVersion;

/// A version ordering: the ecosystems whose tools order versions differently.
///
/// Several OSV ecosystems share one ordering (every Debian and Ubuntu release orders like dpkg);
/// [`Ecosystem::from_osv`] maps them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ecosystem {
    /// Debian and Ubuntu packages (`dpkg --compare-versions`).
    Dpkg,
    /// RPM packages: Red Hat, Rocky, AlmaLinux, SUSE, openSUSE, Fedora, Mariner, ... (`rpmvercmp`).
    Rpm,
    /// Alpine, Wolfi and Chainguard packages (apk-tools).
    Apk,
    /// Python packages (PEP 440).
    PyPI,
    /// npm packages (SemVer 2).
    Npm,
    /// Rust crates (SemVer 2).
    CratesIo,
    /// Go modules (SemVer 2 with `v`, pseudo-versions and `+incompatible`).
    Go,
    /// Erlang and Elixir packages (SemVer 2).
    Hex,
    /// Maven artifacts (`ComparableVersion`).
    Maven,
    /// Ruby gems (`Gem::Version`).
    RubyGems,
    /// NuGet packages (`NuGetVersion`).
    NuGet,
    /// PHP packages (`version_compare`, as Composer normalises).
    Packagist,
    /// Dart and Flutter packages (`pub_semver`).
    Pub,
    /// R packages (`package_version`).
    Cran,
    /// Haskell packages (Cabal's `Version`).
    Hackage,
}

impl Ecosystem {
    /// Every ecosystem, in declaration order.
    pub const ALL: &'static [Ecosystem] = &[
        Ecosystem::Dpkg,
        Ecosystem::Rpm,
        Ecosystem::Apk,
        Ecosystem::PyPI,
        Ecosystem::Npm,
        Ecosystem::CratesIo,
        Ecosystem::Go,
        Ecosystem::Hex,
        Ecosystem::Maven,
        Ecosystem::RubyGems,
        Ecosystem::NuGet,
        Ecosystem::Packagist,
        Ecosystem::Pub,
        Ecosystem::Cran,
        Ecosystem::Hackage,
    ];

    /// The canonical lower-case name (`dpkg`, `crates.io`, ...), which [`FromStr`] accepts back.
    pub fn name(self) -> &'static str {
        match self {
            Ecosystem::Dpkg => "dpkg",
            Ecosystem::Rpm => "rpm",
            Ecosystem::Apk => "apk",
            Ecosystem::PyPI => "pypi",
            Ecosystem::Npm => "npm",
            Ecosystem::CratesIo => "crates.io",
            Ecosystem::Go => "go",
            Ecosystem::Hex => "hex",
            Ecosystem::Maven => "maven",
            Ecosystem::RubyGems => "rubygems",
            Ecosystem::NuGet => "nuget",
            Ecosystem::Packagist => "packagist",
            Ecosystem::Pub => "pub",
            Ecosystem::Cran => "cran",
            Ecosystem::Hackage => "hackage",
        }
    }

    /// The ordering an OSV `affected[].package.ecosystem` uses. Only the part before the first
    /// `:` matters (`Debian:12`, `Ubuntu:Pro:18.04:LTS`, `Alpine:v3.19`, `Red Hat:...`); names are
    /// matched as OSV spells them. Ecosystems without a version ordering (`GIT`, `OSS-Fuzz`,
    /// `Linux`, ...) or not handled here give `None`.
    ///
    /// Besides the names in the OSV schema that obviously map, the apk-based distributions
    /// `Alpaquita`, `BellSoft Hardened Containers` and `MinimOS` map to [`Ecosystem::Apk`], the
    /// rpm-based `Azure Linux` and `Photon OS` to [`Ecosystem::Rpm`], and `Bioconductor` (R
    /// packages) to [`Ecosystem::Cran`].
    pub fn from_osv(s: &str) -> Option<Ecosystem> {
        let name = s.split(':').next().unwrap_or(s);
        Some(match name {
            "Debian" | "Ubuntu" => Ecosystem::Dpkg,
            "Alpine"
            | "Wolfi"
            | "Chainguard"
            | "Alpaquita"
            | "BellSoft Hardened Containers"
            | "MinimOS" => Ecosystem::Apk,
            "Red Hat" | "Rocky Linux" | "AlmaLinux" | "SUSE" | "openSUSE" | "Mageia"
            | "openEuler" | "Azure Linux" | "Photon OS" => Ecosystem::Rpm,
            "PyPI" => Ecosystem::PyPI,
            "npm" => Ecosystem::Npm,
            "crates.io" => Ecosystem::CratesIo,
            "Go" => Ecosystem::Go,
            "Hex" => Ecosystem::Hex,
            "Maven" => Ecosystem::Maven,
            "RubyGems" => Ecosystem::RubyGems,
            "NuGet" => Ecosystem::NuGet,
            "Packagist" => Ecosystem::Packagist,
            "Pub" => Ecosystem::Pub,
            "CRAN" | "Bioconductor" => Ecosystem::Cran,
            "Hackage" => Ecosystem::Hackage,
            _ => return None,
        })
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The names [`Ecosystem`]'s `FromStr` accepts besides the canonical ones, in lower case.
const ALIASES: &[(&str, Ecosystem)] = &[
    ("deb", Ecosystem::Dpkg),
    ("debian", Ecosystem::Dpkg),
    ("ubuntu", Ecosystem::Dpkg),
    ("redhat", Ecosystem::Rpm),
    ("rhel", Ecosystem::Rpm),
    ("rocky", Ecosystem::Rpm),
    ("almalinux", Ecosystem::Rpm),
    ("suse", Ecosystem::Rpm),
    ("opensuse", Ecosystem::Rpm),
    ("fedora", Ecosystem::Rpm),
    ("centos", Ecosystem::Rpm),
    ("mariner", Ecosystem::Rpm),
    ("azurelinux", Ecosystem::Rpm),
    ("alpine", Ecosystem::Apk),
    ("wolfi", Ecosystem::Apk),
    ("chainguard", Ecosystem::Apk),
    ("python", Ecosystem::PyPI),
    ("pip", Ecosystem::PyPI),
    ("cargo", Ecosystem::CratesIo),
    ("crates", Ecosystem::CratesIo),
    ("golang", Ecosystem::Go),
    ("gem", Ecosystem::RubyGems),
    ("composer", Ecosystem::Packagist),
];

/// An ecosystem name that [`Ecosystem`]'s `FromStr` does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown ecosystem {name:?}; expected one of: {}", accepted_names())]
#[non_exhaustive]
pub struct UnknownEcosystem {
    /// The name that was given.
    pub name: String,
}

fn accepted_names() -> String {
    let canonical = Ecosystem::ALL.iter().map(|e| e.name());
    let aliases = ALIASES.iter().map(|(alias, _)| *alias);
    canonical.chain(aliases).collect::<Vec<_>>().join(", ")
}

impl FromStr for Ecosystem {
    type Err = UnknownEcosystem;

    /// Case-insensitive; accepts the canonical names and the usual aliases (`debian`, `rhel`,
    /// `alpine`, `python`, `cargo`, `golang`, `gem`, `composer`, ...).
    fn from_str(s: &str) -> Result<Self, UnknownEcosystem> {
        let lower = s.to_ascii_lowercase();
        Ecosystem::ALL
            .iter()
            .copied()
            .find(|e| e.name() == lower)
            .or_else(|| {
                ALIASES
                    .iter()
                    .find(|(alias, _)| *alias == lower)
                    .map(|(_, e)| *e)
            })
            .ok_or_else(|| UnknownEcosystem { name: s.to_owned() })
    }
}

/// A version string that its ecosystem's rules reject.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {scheme} version {input:?}: {reason}")]
#[non_exhaustive]
pub struct ParseError {
    scheme: &'static str,
    ecosystem: Option<Ecosystem>,
    input: String,
    reason: Cow<'static, str>,
}

impl ParseError {
    pub(crate) fn new(
        scheme: &'static str,
        input: &str,
        reason: impl Into<Cow<'static, str>>,
    ) -> ParseError {
        ParseError {
            scheme,
            ecosystem: None,
            input: input.to_owned(),
            reason: reason.into(),
        }
    }

    fn with_ecosystem(mut self, ecosystem: Ecosystem) -> ParseError {
        self.scheme = ecosystem.name();
        self.ecosystem = Some(ecosystem);
        self
    }

    /// The ecosystem the version was parsed for (`None` when a module's type was parsed directly).
    pub fn ecosystem(&self) -> Option<Ecosystem> {
        self.ecosystem
    }

    /// The rejected input.
    pub fn input(&self) -> &str {
        &self.input
    }

    /// Why it was rejected.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// The longest version accepted, in bytes. Real versions stay far below it (the longest in OSV's
/// data are Maven and Go pseudo-versions of under 100 bytes); the limit keeps hostile input from
/// making parsing or comparison expensive, or nesting a Maven version deep enough to exhaust the
/// stack.
pub const MAX_VERSION_LEN: usize = 1024;

/// The checks every scheme shares: something there, not too long, no whitespace, no control
/// characters.
pub(crate) fn check_text(scheme: &'static str, s: &str) -> Result<(), ParseError> {
    if s.trim().is_empty() {
        return Err(ParseError::new(scheme, s, "empty version"));
    }
    if s.len() > MAX_VERSION_LEN {
        let reason = format!("longer than {MAX_VERSION_LEN} bytes");
        let shown: String = s.chars().take(64).collect();
        return Err(ParseError::new(scheme, &format!("{shown}..."), reason));
    }
    if s.chars().any(char::is_whitespace) {
        return Err(ParseError::new(scheme, s, "whitespace in version"));
    }
    if s.chars().any(char::is_control) {
        return Err(ParseError::new(scheme, s, "control character in version"));
    }
    Ok(())
}

/// The parsed form of a [`Version`], one variant per [`Ecosystem`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Parsed {
    /// [`Ecosystem::Dpkg`].
    Dpkg(DpkgVersion),
    /// [`Ecosystem::Rpm`].
    Rpm(RpmVersion),
    /// [`Ecosystem::Apk`].
    Apk(ApkVersion),
    /// [`Ecosystem::PyPI`].
    PyPI(PypiVersion),
    /// [`Ecosystem::Npm`].
    Npm(SemverVersion),
    /// [`Ecosystem::CratesIo`].
    CratesIo(SemverVersion),
    /// [`Ecosystem::Go`].
    Go(GoVersion),
    /// [`Ecosystem::Hex`].
    Hex(SemverVersion),
    /// [`Ecosystem::Maven`].
    Maven(MavenVersion),
    /// [`Ecosystem::RubyGems`].
    RubyGems(GemVersion),
    /// [`Ecosystem::NuGet`].
    NuGet(NuGetVersion),
    /// [`Ecosystem::Packagist`].
    Packagist(PackagistVersion),
    /// [`Ecosystem::Pub`].
    Pub(PubVersion),
    /// [`Ecosystem::Cran`].
    Cran(CranVersion),
    /// [`Ecosystem::Hackage`].
    Hackage(HackageVersion),
}

impl Parsed {
    fn parse(ecosystem: Ecosystem, s: &str) -> Result<Parsed, ParseError> {
        Ok(match ecosystem {
            Ecosystem::Dpkg => Parsed::Dpkg(s.parse()?),
            Ecosystem::Rpm => Parsed::Rpm(s.parse()?),
            Ecosystem::Apk => Parsed::Apk(s.parse()?),
            Ecosystem::PyPI => Parsed::PyPI(s.parse()?),
            Ecosystem::Npm => Parsed::Npm(s.parse()?),
            Ecosystem::CratesIo => Parsed::CratesIo(s.parse()?),
            Ecosystem::Go => Parsed::Go(s.parse()?),
            Ecosystem::Hex => Parsed::Hex(s.parse()?),
            Ecosystem::Maven => Parsed::Maven(s.parse()?),
            Ecosystem::RubyGems => Parsed::RubyGems(s.parse()?),
            Ecosystem::NuGet => Parsed::NuGet(s.parse()?),
            Ecosystem::Packagist => Parsed::Packagist(s.parse()?),
            Ecosystem::Pub => Parsed::Pub(s.parse()?),
            Ecosystem::Cran => Parsed::Cran(s.parse()?),
            Ecosystem::Hackage => Parsed::Hackage(s.parse()?),
        })
    }

    fn ecosystem(&self) -> Ecosystem {
        match self {
            Parsed::Dpkg(_) => Ecosystem::Dpkg,
            Parsed::Rpm(_) => Ecosystem::Rpm,
            Parsed::Apk(_) => Ecosystem::Apk,
            Parsed::PyPI(_) => Ecosystem::PyPI,
            Parsed::Npm(_) => Ecosystem::Npm,
            Parsed::CratesIo(_) => Ecosystem::CratesIo,
            Parsed::Go(_) => Ecosystem::Go,
            Parsed::Hex(_) => Ecosystem::Hex,
            Parsed::Maven(_) => Ecosystem::Maven,
            Parsed::RubyGems(_) => Ecosystem::RubyGems,
            Parsed::NuGet(_) => Ecosystem::NuGet,
            Parsed::Packagist(_) => Ecosystem::Packagist,
            Parsed::Pub(_) => Ecosystem::Pub,
            Parsed::Cran(_) => Ecosystem::Cran,
            Parsed::Hackage(_) => Ecosystem::Hackage,
        }
    }
}

/// A package version of one ecosystem: the text as given plus its parsed form.
///
/// Ordered by the ecosystem's rules; `==` means the ecosystem considers the versions equal, which
/// can hold for different texts (`1.0` and `1.0.0` in Maven). Versions of different ecosystems
/// order by ecosystem first.
#[derive(Clone, Debug)]
pub struct Version {
    text: Box<str>,
    parsed: Parsed,
}

impl Version {
    /// Parses `s` as a version of `ecosystem`.
    pub fn parse(ecosystem: Ecosystem, s: &str) -> Result<Version, ParseError> {
        let parsed = Parsed::parse(ecosystem, s).map_err(|e| e.with_ecosystem(ecosystem))?;
        Ok(Version {
            text: s.into(),
            parsed,
        })
    }

    /// The ecosystem whose rules order this version.
    pub fn ecosystem(&self) -> Ecosystem {
        self.parsed.ecosystem()
    }

    /// The text the version was parsed from.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The parsed form, for ecosystem-specific details (Go pseudo-versions, dpkg epochs, ...).
    pub fn parsed(&self) -> &Parsed {
        &self.parsed
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        match (&self.parsed, &other.parsed) {
            (Parsed::Dpkg(a), Parsed::Dpkg(b)) => a.cmp(b),
            (Parsed::Rpm(a), Parsed::Rpm(b)) => a.cmp(b),
            (Parsed::Apk(a), Parsed::Apk(b)) => a.cmp(b),
            (Parsed::PyPI(a), Parsed::PyPI(b)) => a.cmp(b),
            (Parsed::Npm(a), Parsed::Npm(b))
            | (Parsed::CratesIo(a), Parsed::CratesIo(b))
            | (Parsed::Hex(a), Parsed::Hex(b)) => a.cmp(b),
            (Parsed::Go(a), Parsed::Go(b)) => a.cmp(b),
            (Parsed::Maven(a), Parsed::Maven(b)) => a.cmp(b),
            (Parsed::RubyGems(a), Parsed::RubyGems(b)) => a.cmp(b),
            (Parsed::NuGet(a), Parsed::NuGet(b)) => a.cmp(b),
            (Parsed::Packagist(a), Parsed::Packagist(b)) => a.cmp(b),
            (Parsed::Pub(a), Parsed::Pub(b)) => a.cmp(b),
            (Parsed::Cran(a), Parsed::Cran(b)) => a.cmp(b),
            (Parsed::Hackage(a), Parsed::Hackage(b)) => a.cmp(b),
            (a, b) => a.ecosystem().cmp(&b.ecosystem()),
        }
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

/// The text the version was parsed from.
impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Parses `a` and `b` as versions of `ecosystem` and compares them.
pub fn compare(ecosystem: Ecosystem, a: &str, b: &str) -> Result<Ordering, ParseError> {
    Ok(Version::parse(ecosystem, a)?.cmp(&Version::parse(ecosystem, b)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecosystem_names_round_trip() {
        for &e in Ecosystem::ALL {
            assert_eq!(e.to_string().parse::<Ecosystem>().unwrap(), e);
            assert_eq!(e.name().to_uppercase().parse::<Ecosystem>().unwrap(), e);
        }
        assert_eq!(Ecosystem::ALL.len(), 15);
        assert_eq!(Ecosystem::CratesIo.to_string(), "crates.io");
    }

    #[test]
    fn ecosystem_aliases() {
        for (name, e) in [
            ("Debian", Ecosystem::Dpkg),
            ("deb", Ecosystem::Dpkg),
            ("ubuntu", Ecosystem::Dpkg),
            ("RHEL", Ecosystem::Rpm),
            ("centos", Ecosystem::Rpm),
            ("AzureLinux", Ecosystem::Rpm),
            ("wolfi", Ecosystem::Apk),
            ("Python", Ecosystem::PyPI),
            ("pip", Ecosystem::PyPI),
            ("cargo", Ecosystem::CratesIo),
            ("Crates", Ecosystem::CratesIo),
            ("golang", Ecosystem::Go),
            ("gem", Ecosystem::RubyGems),
            ("composer", Ecosystem::Packagist),
        ] {
            assert_eq!(name.parse::<Ecosystem>().unwrap(), e, "{name}");
        }
        let err = "cobol".parse::<Ecosystem>().unwrap_err().to_string();
        assert!(
            err.starts_with(r#"unknown ecosystem "cobol"; expected one of: dpkg, rpm"#),
            "{err}"
        );
        assert!(err.contains("composer"), "{err}");
    }

    #[test]
    fn osv_ecosystems() {
        for (osv, e) in [
            ("Debian:12", Some(Ecosystem::Dpkg)),
            ("Ubuntu:22.04:LTS", Some(Ecosystem::Dpkg)),
            ("Ubuntu:Pro:18.04:LTS", Some(Ecosystem::Dpkg)),
            ("Alpine:v3.19", Some(Ecosystem::Apk)),
            ("Wolfi", Some(Ecosystem::Apk)),
            ("Chainguard", Some(Ecosystem::Apk)),
            (
                "Red Hat:enterprise_linux:9::appstream",
                Some(Ecosystem::Rpm),
            ),
            ("Rocky Linux:9", Some(Ecosystem::Rpm)),
            ("AlmaLinux:8", Some(Ecosystem::Rpm)),
            ("SUSE:Linux Enterprise Server 15 SP5", Some(Ecosystem::Rpm)),
            ("openSUSE:Tumbleweed", Some(Ecosystem::Rpm)),
            ("Mageia:9", Some(Ecosystem::Rpm)),
            ("openEuler:22.03-LTS", Some(Ecosystem::Rpm)),
            ("PyPI", Some(Ecosystem::PyPI)),
            ("npm", Some(Ecosystem::Npm)),
            ("crates.io", Some(Ecosystem::CratesIo)),
            ("Go", Some(Ecosystem::Go)),
            ("Hex", Some(Ecosystem::Hex)),
            ("Maven", Some(Ecosystem::Maven)),
            ("RubyGems", Some(Ecosystem::RubyGems)),
            ("NuGet", Some(Ecosystem::NuGet)),
            ("Packagist", Some(Ecosystem::Packagist)),
            ("Pub", Some(Ecosystem::Pub)),
            ("CRAN", Some(Ecosystem::Cran)),
            ("Hackage", Some(Ecosystem::Hackage)),
            ("GIT", None),
            ("OSS-Fuzz", None),
            ("Linux", None),
            ("debian:12", None),
            ("", None),
        ] {
            assert_eq!(Ecosystem::from_osv(osv), e, "{osv}");
        }
    }

    #[test]
    fn versions_keep_their_text_and_order_by_ecosystem() {
        let a = Version::parse(Ecosystem::Maven, "1.0").unwrap();
        let b = Version::parse(Ecosystem::Maven, "1.0.0").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "1.0");
        assert_eq!(b.to_string(), "1.0.0");
        assert_eq!(a.ecosystem(), Ecosystem::Maven);
        let dpkg = Version::parse(Ecosystem::Dpkg, "9.9").unwrap();
        assert!(dpkg < a, "different ecosystems order by ecosystem");
        assert_ne!(dpkg, Version::parse(Ecosystem::Rpm, "9.9").unwrap());
        assert_eq!(
            compare(Ecosystem::Npm, "1.2.3+a", "1.2.3+b"),
            Ok(Ordering::Equal)
        );
        assert!(matches!(
            Version::parse(Ecosystem::Go, "v1.2.3").unwrap().parsed(),
            Parsed::Go(_)
        ));
    }

    #[test]
    fn errors_name_the_ecosystem_and_the_input() {
        let err = Version::parse(Ecosystem::Dpkg, "1:").unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"invalid dpkg version "1:": nothing after colon in version number"#
        );
        assert_eq!(err.ecosystem(), Some(Ecosystem::Dpkg));
        assert_eq!(err.input(), "1:");
        assert_eq!(err.reason(), "nothing after colon in version number");
        let err = Version::parse(Ecosystem::CratesIo, "1.x").unwrap_err();
        assert!(
            err.to_string()
                .starts_with(r#"invalid crates.io version "1.x""#),
            "{err}"
        );
        assert!(compare(Ecosystem::Npm, "1.0.0", "nope").is_err());
    }

    #[test]
    fn every_ecosystem_rejects_empty_blank_and_control_input() {
        for &e in Ecosystem::ALL {
            for bad in [
                "",
                " ",
                "\t",
                "1.0 ",
                " 1.0",
                "1. 0",
                "1.0\n",
                "1\u{0}",
                "1.0\u{7f}",
                "1\u{a0}0",
            ] {
                let err =
                    Version::parse(e, bad).expect_err(&format!("{e}: {bad:?} should be rejected"));
                assert_eq!(err.ecosystem(), Some(e));
                assert!(
                    err.to_string()
                        .starts_with(&format!("invalid {e} version ")),
                    "{err}"
                );
            }
            // OSV ranges start at "0": every ecosystem must take it.
            assert!(Version::parse(e, "0").is_ok(), "{e}: 0");
            let long = "1".repeat(MAX_VERSION_LEN + 1);
            let err = Version::parse(e, &long).unwrap_err();
            assert_eq!(err.reason(), "longer than 1024 bytes");
            assert!(
                err.input().len() < 100,
                "the error quotes a prefix, not the whole input"
            );
            if e != Ecosystem::Hackage {
                // (Cabal allows at most nine digits per number.)
                let longest = "1".repeat(MAX_VERSION_LEN);
                assert!(
                    Version::parse(e, &longest).is_ok(),
                    "{e}: {MAX_VERSION_LEN} digits"
                );
            }
        }
    }
}
