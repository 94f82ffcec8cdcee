//! Java archives (`.jar`, `.war`, `.ear`, `.jpi`, `.hpi`, `.par`, `.sar`, `.nar`, `.kar`,
//! `.lpkg`): Maven `pom.properties`, the JAR manifest and archives nested inside archives.
//!
//! The rules mirror Syft's `java-archive-cataloger` (1.18):
//! - the *main* package of an archive comes from its `META-INF/MANIFEST.MF`: name and version from
//!   the single `pom.properties` when there is exactly one and its artifactId starts with the
//!   name in the file name, otherwise name from the file name (`commons-io-2.11.0.jar` ->
//!   `commons-io`, `2.11.0`), then `Name`, `Bundle-Name`, `Short-Name`, `Extension-Name`,
//!   `Implementation-Title`; version from the file name, then `Implementation-Version`,
//!   `Specification-Version`, `Plugin-Version`, `Bundle-Version`; licences from `Bundle-License`;
//! - every `META-INF/maven/**/pom.properties` with an artifactId and a version is a package,
//!   merged into the main package when they are the same artifact (same group/name/version, or
//!   the artifactId equals the main package's name), so a shaded jar lists what it bundles;
//! - the purl group is the pom's groupId, else the first manifest value that looks like a group
//!   (starts with `com`, `org`, `net` or `io`) among `Extension-Name`, `Specification-Vendor`,
//!   `Implementation-Vendor`, `Bundle-SymbolicName`, `Implementation-Vendor-Id`,
//!   `Implementation-Title`, `Bundle-Activator`, then `Automatic-Module-Name`, `Main-Class`,
//!   `Package`, else the package name itself (`pkg:maven/aopalliance/aopalliance@1.0`);
//! - nested archives are opened recursively; their packages are located at
//!   `outer.war:WEB-INF/lib/inner.jar`.
//!
//! Differences, on purpose: an archive without a manifest still yields its `pom.properties`
//! packages (Syft yields nothing); a manifest line without a colon is skipped instead of
//! discarding the whole manifest; Syft's built-in artifactId -> groupId table and its licence
//! text classifier (`META-INF/LICENSE` -> `Apache-2.0`) are not reproduced.
//!
//! Hostile input is bounded: nesting depth, the number of nested archives, the size of each
//! metadata entry and the total number of bytes decompressed per top-level archive.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use zoll_core::{Package, PackageType};

use super::{NewPackage, text};
use crate::{CatalogError, FileCataloger, FileMeta};

/// Extensions of Java archives (lowercase, without the dot).
const ARCHIVE_EXTENSIONS: &[&str] = &[
    "jar", "war", "ear", "par", "sar", "nar", "jpi", "hpi", "kar", "lpkg",
];

/// Limits applied while reading one top-level archive.
#[derive(Debug, Clone, Copy)]
pub struct JavaLimits {
    /// How deep archives inside archives are followed (the top level is depth 0).
    pub max_depth: usize,
    /// Total bytes decompressed (metadata plus nested archives), summed over all levels.
    pub max_total_uncompressed: u64,
    /// Largest nested archive read into memory.
    pub max_nested_archive: u64,
    /// Largest manifest or pom.properties read.
    pub max_metadata_entry: u64,
    /// Most nested archives opened.
    pub max_nested_archives: usize,
}

impl Default for JavaLimits {
    fn default() -> Self {
        JavaLimits {
            max_depth: 5,
            max_total_uncompressed: 1024 * 1024 * 1024,
            max_nested_archive: 256 * 1024 * 1024,
            max_metadata_entry: 1024 * 1024,
            max_nested_archives: 4096,
        }
    }
}

/// The largest top-level archive the cataloger asks the walker to read.
const MAX_ARCHIVE: u64 = 1024 * 1024 * 1024;

/// A package found in a Java archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JavaPackage {
    pub group_id: String,
    pub name: String,
    pub version: String,
    pub licenses: Vec<String>,
    /// Path of the archive inside the scanned file: empty for the file itself, else
    /// `:WEB-INF/lib/a.jar` (one `:entry` per level).
    pub nested_path: String,
}

/// `pom.properties` contents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PomProperties {
    pub group_id: String,
    pub artifact_id: String,
    pub version: String,
}

/// Parse `pom.properties` (Java properties: `key=value` or `key: value`, `#`/`!` comments).
pub fn parse_pom_properties(data: &[u8]) -> PomProperties {
    let mut p = PomProperties::default();
    for line in text(data).lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let Some(i) = line.find(['=', ':']) else {
            continue;
        };
        let (k, v) = (line[..i].trim(), line[i + 1..].trim());
        match k {
            "groupId" => p.group_id = v.to_owned(),
            "artifactId" => p.artifact_id = v.to_owned(),
            "version" => p.version = v.to_owned(),
            _ => {}
        }
    }
    p
}

/// A parsed `MANIFEST.MF`: the main section and the named sections, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    pub main: BTreeMap<String, String>,
    pub sections: Vec<BTreeMap<String, String>>,
}

impl Manifest {
    fn main_value(&self, key: &str) -> Option<&str> {
        self.main
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The main section's value, else the first named section's.
    fn any_value(&self, key: &str) -> Option<&str> {
        self.main_value(key).or_else(|| {
            self.sections
                .iter()
                .find_map(|s| s.get(key).map(String::as_str).filter(|v| !v.is_empty()))
        })
    }
}

/// Parse a JAR manifest (72-byte lines continued by a leading space, sections split by blank
/// lines).
pub fn parse_manifest(data: &[u8]) -> Manifest {
    let mut m = Manifest::default();
    let mut current: BTreeMap<String, String> = BTreeMap::new();
    let mut in_main = true;
    let mut last_key: Option<String> = None;
    let src = text(data);
    for line in src.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            if !current.is_empty() || in_main {
                let done = std::mem::take(&mut current);
                if in_main {
                    m.main = done;
                    in_main = false;
                } else {
                    m.sections.push(done);
                }
            }
            last_key = None;
            continue;
        }
        if let Some(cont) = line.strip_prefix(' ') {
            if let Some(v) = last_key.as_ref().and_then(|k| current.get_mut(k)) {
                v.push_str(cont.trim());
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            let k = k.trim().to_owned();
            current.insert(k.clone(), v.trim().to_owned());
            last_key = Some(k);
        }
    }
    if !current.is_empty() {
        if in_main {
            m.main = current;
        } else {
            m.sections.push(current);
        }
    }
    m
}

/// Name and version in an archive's file name, as Syft's `nameAndVersionPattern` finds them:
/// dash-separated words form the name until a word that starts with a digit, `build<digits>`,
/// or (ending the name) `r<digits>`/`rc<digits>`.
pub fn name_version_from_filename(file_name: &str) -> (String, String) {
    let base = file_name.rsplit('/').next().unwrap_or(file_name);
    let stem = match base.rfind('.') {
        Some(i) if i > 0 => &base[..i],
        _ => base,
    };
    let word_ok = |w: &str| {
        let mut c = w.chars();
        matches!(c.next(), Some(f) if f.is_alphabetic())
            && c.all(|c| c.is_alphanumeric() || c == '_' || c == '.')
    };
    let parts: Vec<&str> = stem.split('-').collect();
    let mut name_end = parts.len();
    for (i, part) in parts.iter().enumerate().skip(1) {
        let lower = part.to_ascii_lowercase();
        let rest_is_rc = i + 1 == parts.len() && {
            let d = lower
                .strip_prefix("rc")
                .or_else(|| lower.strip_prefix('r'))
                .unwrap_or("");
            !d.is_empty() && d.chars().all(|c| c.is_ascii_digit())
        };
        let is_build = lower
            .strip_prefix("build")
            .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()));
        if part.starts_with(|c: char| c.is_ascii_digit()) || is_build || rest_is_rc {
            name_end = i;
            break;
        }
    }
    let name_parts = parts.get(..name_end).unwrap_or(&[]);
    // A trailing '-' (empty last word) is allowed by the pattern; other empty words are not.
    let trailing_dash = name_parts.len() > 1 && name_parts.last() == Some(&"");
    let checked = if trailing_dash {
        name_parts.get(..name_parts.len() - 1).unwrap_or(&[])
    } else {
        name_parts
    };
    if checked.is_empty() || !checked.iter().all(|w| word_ok(w)) {
        return (String::new(), String::new());
    }
    let name = name_parts.join("-");
    let version = parts
        .get(name_end..)
        .map(|v| v.join("-"))
        .unwrap_or_default();
    if !version.is_empty() {
        return (name, version);
    }
    // Secondary pattern: `name_1.2` / `name.1.2` / `name-1.2` at the end of the name.
    let bytes = name.as_bytes();
    for (i, &c) in bytes.iter().enumerate() {
        if matches!(c, b'.' | b'_' | b'-') && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
            let (n, v) = (&name[..i], &name[i + 1..]);
            if !n.is_empty() {
                return (n.to_owned(), v.to_owned());
            }
        }
    }
    (name, String::new())
}

fn starts_with_domain(v: &str) -> bool {
    ["com", "org", "net", "io"].iter().any(|d| v.starts_with(d))
}

fn clean_group(v: &str) -> String {
    v.split(';').next().unwrap_or("").trim().to_owned()
}

const PRIMARY_GROUP_FIELDS: &[&str] = &[
    "Extension-Name",
    "Specification-Vendor",
    "Implementation-Vendor",
    "Bundle-SymbolicName",
    "Implementation-Vendor-Id",
    "Implementation-Title",
    "Bundle-Activator",
];
const SECONDARY_GROUP_FIELDS: &[&str] = &["Automatic-Module-Name", "Main-Class", "Package"];

fn group_from_manifest(m: &Manifest) -> Option<String> {
    for fields in [PRIMARY_GROUP_FIELDS, SECONDARY_GROUP_FIELDS] {
        for f in fields {
            let candidates = std::iter::once(&m.main).chain(m.sections.iter());
            for section in candidates {
                if let Some(v) = section.get(*f).filter(|v| starts_with_domain(v)) {
                    return Some(clean_group(v));
                }
            }
        }
    }
    None
}

/// Syft's `groupIDFromJavaMetadata`, without its built-in lookup table: "" when nothing says.
fn group_id(pom: Option<&PomProperties>, manifest: Option<&Manifest>) -> String {
    if let Some(p) = pom {
        if !p.group_id.is_empty() {
            return clean_group(&p.group_id);
        }
        if p.artifact_id.contains('.') {
            return clean_group(&p.artifact_id);
        }
    }
    manifest.and_then(group_from_manifest).unwrap_or_default()
}

/// A package while the archive is being read.
struct Draft {
    name: String,
    version: String,
    pom: Option<PomProperties>,
    manifest: Option<Manifest>,
    licenses: Vec<String>,
}

impl Draft {
    fn group(&self) -> String {
        group_id(self.pom.as_ref(), self.manifest.as_ref())
    }

    fn finish(self, nested_path: &str) -> Option<JavaPackage> {
        if self.name.is_empty() {
            return None;
        }
        let mut group_id = self.group();
        if group_id.is_empty() {
            group_id = self.name.clone();
        }
        Some(JavaPackage {
            group_id,
            name: self.name,
            version: self.version,
            licenses: self.licenses,
            nested_path: nested_path.to_owned(),
        })
    }
}

struct Walk {
    limits: JavaLimits,
    budget: u64,
    nested_opened: usize,
}

impl Walk {
    /// Read one entry fully, within `cap` and the remaining budget; `None` when it is too big.
    fn read_entry<R: Read + std::io::Seek>(
        &mut self,
        zip: &mut zip::ZipArchive<R>,
        index: usize,
        cap: u64,
    ) -> Option<Vec<u8>> {
        let entry = zip.by_index(index).ok()?;
        let cap = cap.min(self.budget);
        if entry.size() > cap {
            return None;
        }
        let mut buf = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0).min(1 << 20));
        // The declared size can lie: never read more than cap + 1 bytes.
        entry.take(cap + 1).read_to_end(&mut buf).ok()?;
        let n = buf.len() as u64;
        if n > cap {
            return None;
        }
        self.budget = self.budget.saturating_sub(n);
        Some(buf)
    }

    fn archive(
        &mut self,
        file_name: &str,
        data: &[u8],
        nested_path: &str,
        depth: usize,
        out: &mut Vec<JavaPackage>,
    ) -> Result<(), String> {
        let mut zip = zip::ZipArchive::new(Cursor::new(data))
            .map_err(|e| format!("not a readable zip archive: {e}"))?;
        let mut manifest_idx = None;
        let mut pom_idx = Vec::new();
        let mut nested_idx = Vec::new();
        for i in 0..zip.len() {
            let Some(name) = zip.name_for_index(i) else {
                continue;
            };
            if name.ends_with('/') {
                continue;
            }
            if name == "META-INF/MANIFEST.MF" {
                manifest_idx = Some(i);
            } else if name.ends_with("/pom.properties")
                && (name.starts_with("META-INF/maven/") || name.contains("/META-INF/maven/"))
            {
                pom_idx.push((name.to_owned(), i));
            } else if is_java_archive(name) {
                nested_idx.push((name.to_owned(), i));
            }
        }
        let meta_cap = self.limits.max_metadata_entry;
        let manifest = manifest_idx
            .and_then(|i| self.read_entry(&mut zip, i, meta_cap))
            .map(|d| parse_manifest(&d));
        pom_idx.sort();
        let pom_count = pom_idx.len();
        let mut poms: BTreeMap<String, PomProperties> = BTreeMap::new();
        for (name, i) in &pom_idx {
            let Some(d) = self.read_entry(&mut zip, *i, meta_cap) else {
                continue;
            };
            let p = parse_pom_properties(&d);
            if p.artifact_id.is_empty() || p.version.is_empty() {
                continue;
            }
            let dir = name
                .rsplit_once('/')
                .map(|(d, _)| d)
                .unwrap_or("")
                .to_owned();
            poms.insert(dir, p);
        }

        let (fname, fversion) = name_version_from_filename(file_name);
        let mut main = manifest.map(|m| {
            let mut name = String::new();
            let mut version = String::new();
            if pom_count == 1
                && let Some(p) = poms.values().next()
                && !fname.is_empty()
                && p.artifact_id.starts_with(&fname)
            {
                name = p.artifact_id.clone();
                version = p.version.clone();
            }
            if name.is_empty() {
                name = [
                    Some(fname.as_str()),
                    m.main_value("Name"),
                    m.main_value("Bundle-Name"),
                    m.main_value("Short-Name"),
                    m.main_value("Extension-Name"),
                    m.main_value("Implementation-Title"),
                ]
                .into_iter()
                .flatten()
                .find(|s| !s.is_empty())
                .unwrap_or("")
                .to_owned();
            }
            if version.is_empty() {
                version = if fversion.is_empty() {
                    [
                        "Implementation-Version",
                        "Specification-Version",
                        "Plugin-Version",
                        "Bundle-Version",
                    ]
                    .iter()
                    .find_map(|k| m.any_value(k))
                    .unwrap_or("")
                    .to_owned()
                } else {
                    fversion.clone()
                };
            }
            let licenses = m
                .main_value("Bundle-License")
                .map(|l| vec![l.to_owned()])
                .unwrap_or_default();
            Draft {
                name,
                version,
                pom: None,
                manifest: Some(m),
                licenses,
            }
        });

        let mut others = Vec::new();
        for p in poms.into_values() {
            let candidate = Draft {
                name: p.artifact_id.clone(),
                version: p.version.clone(),
                pom: Some(p),
                manifest: None,
                licenses: Vec::new(),
            };
            if let Some(parent) = main.as_mut() {
                let parent_group = parent.group();
                let pom = candidate.pom.as_ref();
                let raw_group = pom.map(|p| p.group_id.as_str()).unwrap_or("");
                let same_key = (
                    parent_group.as_str(),
                    parent.name.as_str(),
                    parent.version.as_str(),
                ) == (
                    candidate.group().as_str(),
                    candidate.name.as_str(),
                    candidate.version.as_str(),
                );
                let same_vpath = (
                    parent_group.as_str(),
                    parent.name.as_str(),
                    parent.version.as_str(),
                ) == (
                    raw_group,
                    candidate.name.as_str(),
                    candidate.version.as_str(),
                );
                if same_key || same_vpath || parent.name == candidate.name {
                    parent.name = candidate.name;
                    parent.version = candidate.version;
                    if parent.pom.is_none() {
                        parent.pom = candidate.pom;
                    }
                    continue;
                }
            }
            others.push(candidate);
        }
        out.extend(main.and_then(|m| m.finish(nested_path)));
        out.extend(others.into_iter().filter_map(|d| d.finish(nested_path)));

        if depth >= self.limits.max_depth {
            return Ok(());
        }
        for (name, i) in nested_idx {
            if self.nested_opened >= self.limits.max_nested_archives {
                break;
            }
            self.nested_opened += 1;
            let Some(inner) = self.read_entry(&mut zip, i, self.limits.max_nested_archive) else {
                continue;
            };
            let inner_path = format!("{nested_path}:{name}");
            // A nested entry that is not a zip is skipped, as Syft does.
            let _ = self.archive(&name, &inner, &inner_path, depth + 1, out);
        }
        Ok(())
    }
}

/// Whether a path names a Java archive by its extension (case-insensitive).
pub fn is_java_archive(path: &str) -> bool {
    let base = path.rsplit('/').next().unwrap_or(path);
    match base.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ARCHIVE_EXTENSIONS
            .iter()
            .any(|e| ext.eq_ignore_ascii_case(e)),
        _ => false,
    }
}

/// Parse a Java archive named `file_name` (the name drives name/version guessing), with the
/// default limits.
pub fn parse_java_archive(file_name: &str, data: &[u8]) -> Result<Vec<JavaPackage>, String> {
    parse_java_archive_with(file_name, data, JavaLimits::default())
}

/// [`parse_java_archive`] with explicit limits.
pub fn parse_java_archive_with(
    file_name: &str,
    data: &[u8],
    limits: JavaLimits,
) -> Result<Vec<JavaPackage>, String> {
    let mut walk = Walk {
        limits,
        budget: limits.max_total_uncompressed,
        nested_opened: 0,
    };
    let mut out = Vec::new();
    walk.archive(file_name, data, "", 0, &mut out)?;
    Ok(out)
}

/// `java-archive`: Java archives by extension.
pub struct JavaArchiveCataloger;

impl FileCataloger for JavaArchiveCataloger {
    fn name(&self) -> &'static str {
        "java-archive"
    }

    fn selects(&self, path: &str, meta: &FileMeta) -> bool {
        meta.size <= MAX_ARCHIVE && is_java_archive(path)
    }

    fn catalog(&self, path: &str, data: &[u8]) -> Result<Vec<Package>, CatalogError> {
        let pkgs = parse_java_archive(path, data).map_err(|e| CatalogError::malformed(path, e))?;
        pkgs.iter()
            .map(|p| {
                let location = format!("{path}{}", p.nested_path);
                NewPackage {
                    name: &p.name,
                    version: &p.version,
                    kind: PackageType::Maven,
                    purl_type: "maven",
                    namespace: Some(&p.group_id),
                    purl_name: &p.name,
                    licenses: p.licenses.clone(),
                    location: &location,
                    found_by: self.name(),
                }
                .build()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in entries {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn purls(pkgs: &[Package]) -> Vec<String> {
        let mut v: Vec<String> = pkgs
            .iter()
            .map(|p| format!("{} {}", p.purl, p.locations[0]))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn filenames() {
        let f = |s: &str| {
            let (n, v) = name_version_from_filename(s);
            format!("{n}|{v}")
        };
        assert_eq!(f("commons-io-2.11.0.jar"), "commons-io|2.11.0");
        assert_eq!(
            f("/usr/share/java/jsr305-0.1~+svn49.jar"),
            "jsr305|0.1~+svn49"
        );
        assert_eq!(f("guava-31.1-jre.jar"), "guava|31.1-jre");
        assert_eq!(f("my-http2-server-5.jar"), "my-http2-server|5");
        assert_eq!(f("jetpack-build235-rc5.jar"), "jetpack|build235-rc5");
        assert_eq!(f("app.war"), "app|");
        assert_eq!(f("lib_1.2.jar"), "lib|1.2");
        assert_eq!(
            f("spring-core-5.3.0.RELEASE.jar"),
            "spring-core|5.3.0.RELEASE"
        );
        assert_eq!(f("thing-rc1.jar"), "thing|rc1");
        assert_eq!(f("1.0.jar"), "|");
    }

    #[test]
    fn manifest_sections_and_continuations() {
        let m = parse_manifest(b"Manifest-Version: 1.0\r\nBundle-SymbolicName: org.apache.commons.lan\r\n g3\r\n\r\nName: org/x/\r\nImplementation-Version: 9\r\n");
        assert_eq!(
            m.main.get("Bundle-SymbolicName").map(String::as_str),
            Some("org.apache.commons.lang3")
        );
        assert_eq!(m.sections.len(), 1);
        assert_eq!(m.any_value("Implementation-Version"), Some("9"));
    }

    #[test]
    fn pom_properties() {
        let p = parse_pom_properties(b"#Generated by Maven\n#Tue Dec 22 14:49:00 UTC 2022\nartifactId=log4j-api\ngroupId=org.apache.logging.log4j\nversion=2.19.0\n");
        assert_eq!(
            p,
            PomProperties {
                group_id: "org.apache.logging.log4j".into(),
                artifact_id: "log4j-api".into(),
                version: "2.19.0".into()
            }
        );
    }

    const LOG4J_MANIFEST: &[u8] = b"Manifest-Version: 1.0\r\nImplementation-Title: Apache Log4j API\r\nImplementation-Vendor: \r\nImplementation-Vendor-Id: org.apache\r\nImplementation-Version: 2.19.0\r\nBundle-SymbolicName: org.apache.logging.log4j.api\r\nBundle-Version: 2.19.0\r\n\r\n";

    #[test]
    fn pom_merges_into_main() {
        let jar = zip_of(&[
            ("META-INF/MANIFEST.MF", LOG4J_MANIFEST),
            (
                "META-INF/maven/org.apache.logging.log4j/log4j-api/pom.properties",
                b"artifactId=log4j-api\ngroupId=org.apache.logging.log4j\nversion=2.19.0\n",
            ),
        ]);
        let path = "/usr/share/java/log4j-api-2.19.0.jar";
        assert!(JavaArchiveCataloger.selects(path, &FileMeta::default()));
        let pkgs = JavaArchiveCataloger.catalog(path, &jar).unwrap();
        assert_eq!(
            purls(&pkgs),
            vec![format!(
                "pkg:maven/org.apache.logging.log4j/log4j-api@2.19.0 {path}"
            )]
        );
        assert_eq!(pkgs[0].kind, PackageType::Maven);
        assert_eq!(pkgs[0].found_by, "java-archive");
    }

    #[test]
    fn shaded_and_manifest_only() {
        // Like Debian's wagon-http-shaded-3.5.3.jar: a bare manifest and several bundled poms.
        let jar = zip_of(&[
            ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\nCreated-By: Maven JAR Plugin 3.3.0\nBundle-License: Apache-2.0\n"),
            ("META-INF/maven/commons-codec/commons-codec/pom.properties", b"groupId=commons-codec\nartifactId=commons-codec\nversion=1.15\n"),
            ("META-INF/maven/org.apache.httpcomponents/httpcore/pom.properties", b"groupId=org.apache.httpcomponents\nartifactId=httpcore\nversion=4.4.16\n"),
            ("META-INF/maven/broken/pom.properties", b"groupId=x\n"),
        ]);
        let pkgs = JavaArchiveCataloger
            .catalog("/opt/wagon-http-shaded-3.5.3.jar", &jar)
            .unwrap();
        assert_eq!(
            purls(&pkgs),
            vec![
                "pkg:maven/commons-codec/commons-codec@1.15 /opt/wagon-http-shaded-3.5.3.jar",
                "pkg:maven/org.apache.httpcomponents/httpcore@4.4.16 /opt/wagon-http-shaded-3.5.3.jar",
                "pkg:maven/wagon-http-shaded/wagon-http-shaded@3.5.3 /opt/wagon-http-shaded-3.5.3.jar",
            ]
        );
        let main = pkgs.iter().find(|p| p.name == "wagon-http-shaded").unwrap();
        assert_eq!(main.licenses, vec!["Apache-2.0"]);
    }

    #[test]
    fn nested_war() {
        let inner = zip_of(&[("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\nImplementation-Title: innerlib\r\nImplementation-Version: 0.9.1\r\nImplementation-Vendor-Id: com.example\r\n\r\n")]);
        let innermost = zip_of(&[(
            "META-INF/maven/org.x/deep/pom.properties",
            b"groupId=org.x\nartifactId=deep\nversion=1\n",
        )]);
        let lib = zip_of(&[
            ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"),
            ("lib/deep-1.jar", &innermost),
        ]);
        let war = zip_of(&[
            ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\nImplementation-Title: webapp\r\nImplementation-Version: 3.1\r\n\r\n"),
            ("WEB-INF/lib/innerlib-0.9.1.jar", &inner),
            ("WEB-INF/lib/lib-2.0.jar", &lib),
            ("WEB-INF/lib/not-a-zip-1.0.jar", b"garbage"),
            ("META-INF/maven/com.example/webapp/pom.properties", b"groupId=com.example\nartifactId=webapp\nversion=3.1.0\n"),
        ]);
        let pkgs = JavaArchiveCataloger.catalog("/srv/app.war", &war).unwrap();
        assert_eq!(
            purls(&pkgs),
            vec![
                "pkg:maven/app/app@3.1 /srv/app.war",
                "pkg:maven/com.example/innerlib@0.9.1 /srv/app.war:WEB-INF/lib/innerlib-0.9.1.jar",
                "pkg:maven/com.example/webapp@3.1.0 /srv/app.war",
                "pkg:maven/lib/lib@2.0 /srv/app.war:WEB-INF/lib/lib-2.0.jar",
                "pkg:maven/org.x/deep@1 /srv/app.war:WEB-INF/lib/lib-2.0.jar:lib/deep-1.jar",
            ]
        );
        // Depth limit: only the top level.
        let limits = JavaLimits {
            max_depth: 0,
            ..JavaLimits::default()
        };
        assert_eq!(
            parse_java_archive_with("app.war", &war, limits)
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn zip_bomb_budget() {
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        // A valid nested jar padded to 2 MiB, and 64 MiB of zeros posing as a jar (~64 KiB deflated).
        let big = {
            let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
            w.start_file("META-INF/maven/org.big/big/pom.properties", opts)
                .unwrap();
            w.write_all(b"groupId=org.big\nartifactId=big\nversion=1\n")
                .unwrap();
            // Incompressible padding (an LCG), stored.
            let mut x: u32 = 1;
            let pad: Vec<u8> = (0..2 * 1024 * 1024)
                .map(|_| {
                    x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    (x >> 24) as u8
                })
                .collect();
            w.start_file(
                "pad.bin",
                zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Stored),
            )
            .unwrap();
            w.write_all(&pad).unwrap();
            w.finish().unwrap().into_inner()
        };
        let small = zip_of(&[(
            "META-INF/maven/org.ok/ok/pom.properties",
            b"groupId=org.ok\nartifactId=ok\nversion=1\n",
        )]);
        let outer = {
            let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
            w.start_file("bomb-1.jar", opts).unwrap();
            w.write_all(&vec![0u8; 64 * 1024 * 1024]).unwrap();
            w.start_file("big-1.jar", opts).unwrap();
            w.write_all(&big).unwrap();
            w.start_file("ok-1.jar", opts).unwrap();
            w.write_all(&small).unwrap();
            w.finish().unwrap().into_inner()
        };
        let limits = JavaLimits {
            max_total_uncompressed: 1024 * 1024,
            ..JavaLimits::default()
        };
        let pkgs = parse_java_archive_with("outer.jar", &outer, limits).unwrap();
        let names: Vec<&str> = pkgs.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, vec!["ok"]);
        // With the default limits the big jar is read too; the zeros are not a zip and are skipped.
        let pkgs = parse_java_archive("outer.jar", &outer).unwrap();
        let mut names: Vec<&str> = pkgs.iter().map(|p| p.name.as_str()).collect();
        names.sort();
        assert_eq!(names, vec!["big", "ok"]);
        assert!(parse_java_archive("x.jar", b"PK\x03\x04junk").is_err());
    }

    #[test]
    fn selection() {
        let m = FileMeta::default();
        for p in [
            "/a/b.JAR", "/a/b.war", "/a/b.ear", "/a/b.hpi", "/a/b.jpi", "/a/b.nar", "/a/b.kar",
        ] {
            assert!(JavaArchiveCataloger.selects(p, &m), "{p}");
        }
        for p in ["/a/b.jar.sha1", "/a/.jar", "/a/jar", "/a/b.zip"] {
            assert!(!JavaArchiveCataloger.selects(p, &m), "{p}");
        }
    }
}
