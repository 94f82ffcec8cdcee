//! Where advisories come from: a directory, a zip file, one JSON file or an http(s) URL, all read
//! the same way. A directory is searched recursively for `*.zip` and `*.json` (so both osv.dev's
//! `<ECOSYSTEM>/all.zip` layout and a folder of `<ID>.json` files work). A URL ending in `/` is a
//! bucket laid out like osv.dev's (`<URL><ECOSYSTEM>/all.zip` for every supported ecosystem); any
//! other URL must name one zip or JSON file.

use std::fmt;
use std::fs::File;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use crate::{Error, io_err};

/// osv.dev's public exports.
pub const DEFAULT_SOURCE: &str = "https://osv-vulnerabilities.storage.googleapis.com/";

/// The OSV ecosystems zoll matches, fetched from a bucket source.
pub const DEFAULT_ECOSYSTEMS: &[&str] = &[
    "Debian",
    "Ubuntu",
    "Alpine",
    "Red Hat",
    "Rocky Linux",
    "AlmaLinux",
    "SUSE",
    "openSUSE",
    "Wolfi",
    "Chainguard",
    "PyPI",
    "npm",
    "Go",
    "crates.io",
    "Maven",
    "RubyGems",
    "NuGet",
    "Packagist",
    "Pub",
    "Hex",
];

/// Largest single advisory accepted (the biggest osv.dev records, Linux kernel ones, are a few MiB).
pub const MAX_ENTRY_BYTES: u64 = 64 << 20;

/// One place to import from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Dir(PathBuf),
    Zip(PathBuf),
    Json(PathBuf),
    Url(String),
}

impl FromStr for Source {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.starts_with("https://") || s.starts_with("http://") {
            return Ok(Source::Url(s.to_owned()));
        }
        if s.contains("://") {
            return Err(Error::Source {
                source_name: s.to_owned(),
                message: "only http(s) URLs and local paths are supported".into(),
            });
        }
        let p = PathBuf::from(s);
        let meta = std::fs::metadata(&p).map_err(|e| Error::Source {
            source_name: s.to_owned(),
            message: e.to_string().to_lowercase(),
        })?;
        if meta.is_dir() {
            Ok(Source::Dir(p))
        } else if s.ends_with(".json") {
            Ok(Source::Json(p))
        } else {
            Ok(Source::Zip(p))
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Dir(p) | Source::Zip(p) | Source::Json(p) => write!(f, "{}", p.display()),
            Source::Url(u) => f.write_str(u),
        }
    }
}

/// An entry that could not be imported, and why. Reported, then skipped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// `path/all.zip!ID.json`, or the file's path.
    pub origin: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.origin, self.message)
    }
}

/// How to reach http(s) sources.
#[derive(Clone, Debug, Default)]
pub struct HttpOptions {
    /// Extra PEM CA certificates to trust.
    pub ca_certs: Vec<PathBuf>,
    pub timeout: Option<Duration>,
}

pub(crate) trait Sink {
    fn entry(&mut self, origin: &str, bytes: &[u8]);
    fn problem(&mut self, problem: Problem);
}

impl Source {
    /// Feed every entry of this source to `sink`. Errors that make the whole source unreadable
    /// are returned; a bad entry goes to `sink.problem` and reading goes on.
    pub(crate) fn read(&self, http: &HttpOptions, sink: &mut dyn Sink) -> Result<(), Error> {
        match self {
            Source::Dir(p) => read_dir(p, sink),
            Source::Zip(p) => {
                let f = File::open(p).map_err(io_err(p))?;
                read_zip(f, &p.display().to_string(), sink)
            }
            Source::Json(p) => read_json_file(p, sink),
            Source::Url(u) => read_url(u, http, sink),
        }
    }
}

fn read_dir(root: &Path, sink: &mut dyn Sink) -> Result<(), Error> {
    let mut stack = vec![root.to_path_buf()];
    let mut files = Vec::new();
    while let Some(dir) = stack.pop() {
        let rd = std::fs::read_dir(&dir).map_err(io_err(&dir))?;
        for ent in rd {
            let ent = ent.map_err(io_err(&dir))?;
            let path = ent.path();
            let ft = ent.file_type().map_err(io_err(&path))?;
            if ft.is_dir() {
                stack.push(path);
            } else if ft.is_file() {
                files.push(path);
            }
        }
    }
    files.sort();
    for f in files {
        match f.extension().and_then(|e| e.to_str()) {
            Some("json") => read_json_file(&f, sink)?,
            Some("zip") => {
                let file = File::open(&f).map_err(io_err(&f))?;
                read_zip(file, &f.display().to_string(), sink)?;
            }
            _ => {}
        }
    }
    Ok(())
}

fn read_json_file(p: &Path, sink: &mut dyn Sink) -> Result<(), Error> {
    let origin = p.display().to_string();
    let f = match File::open(p) {
        Ok(f) => f,
        Err(e) => {
            sink.problem(Problem {
                origin,
                message: e.to_string().to_lowercase(),
            });
            return Ok(());
        }
    };
    let mut buf = Vec::new();
    match f.take(MAX_ENTRY_BYTES + 1).read_to_end(&mut buf) {
        Ok(_) if buf.len() as u64 > MAX_ENTRY_BYTES => sink.problem(Problem {
            origin,
            message: format!("larger than {MAX_ENTRY_BYTES} bytes"),
        }),
        Ok(_) => sink.entry(&origin, &buf),
        Err(e) => sink.problem(Problem {
            origin,
            message: e.to_string().to_lowercase(),
        }),
    }
    Ok(())
}

fn read_zip<R: Read + Seek>(r: R, name: &str, sink: &mut dyn Sink) -> Result<(), Error> {
    let mut zip = zip::ZipArchive::new(r).map_err(|e| Error::Source {
        source_name: name.to_owned(),
        message: format!("not a readable zip file: {}", e.to_string().to_lowercase()),
    })?;
    let mut buf = Vec::new();
    for i in 0..zip.len() {
        let mut member = match zip.by_index(i) {
            Ok(m) => m,
            Err(e) => {
                sink.problem(Problem {
                    origin: format!("{name}!#{i}"),
                    message: e.to_string().to_lowercase(),
                });
                continue;
            }
        };
        let member_name = member.name().to_owned();
        if member.is_dir() || !member_name.ends_with(".json") {
            continue;
        }
        let origin = format!("{name}!{member_name}");
        if member.size() > MAX_ENTRY_BYTES {
            sink.problem(Problem {
                origin,
                message: format!(
                    "declares {} bytes, more than {MAX_ENTRY_BYTES}",
                    member.size()
                ),
            });
            continue;
        }
        buf.clear();
        // `take` bounds what a lying size header can make us inflate; the zip crate checks the
        // CRC when the member has been read to its end.
        match (&mut member)
            .take(MAX_ENTRY_BYTES + 1)
            .read_to_end(&mut buf)
        {
            Ok(_) if buf.len() as u64 > MAX_ENTRY_BYTES => sink.problem(Problem {
                origin,
                message: format!("inflates to more than {MAX_ENTRY_BYTES} bytes"),
            }),
            Ok(_) => sink.entry(&origin, &buf),
            Err(e) => sink.problem(Problem {
                origin,
                message: e.to_string().to_lowercase(),
            }),
        }
    }
    Ok(())
}

fn http_client(http: &HttpOptions) -> Result<reqwest::blocking::Client, Error> {
    let mut b = reqwest::blocking::Client::builder()
        .user_agent(concat!("zoll/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(30))
        .timeout(http.timeout.unwrap_or(Duration::from_secs(600)));
    for p in &http.ca_certs {
        let pem = std::fs::read(p).map_err(io_err(p))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| Error::Source {
            source_name: p.display().to_string(),
            message: format!("not a PEM certificate bundle: {e}"),
        })?;
        for c in certs {
            b = b.add_root_certificate(c);
        }
    }
    b.build().map_err(|e| Error::Source {
        source_name: "http client".into(),
        message: e.to_string().to_lowercase(),
    })
}

/// Download `url` to an anonymous temporary file; `Ok(None)` on 404.
fn download(client: &reqwest::blocking::Client, url: &str) -> Result<Option<File>, Error> {
    let err = |message: String| Error::Source {
        source_name: url.to_owned(),
        message,
    };
    let mut resp = client
        .get(url)
        .send()
        .map_err(|e| err(format_reqwest(&e)))?;
    if resp.status() == reqwest::StatusCode::NOT_FOUND {
        return Ok(None);
    }
    if !resp.status().is_success() {
        return Err(err(format!("server answered {}", resp.status())));
    }
    let mut f = tempfile::tempfile().map_err(|e| err(e.to_string().to_lowercase()))?;
    resp.copy_to(&mut f)
        .map_err(|e| err(format!("download interrupted: {}", format_reqwest(&e))))?;
    f.rewind().map_err(|e| err(e.to_string().to_lowercase()))?;
    Ok(Some(f))
}

fn format_reqwest(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s.to_lowercase()
}

fn read_url(url: &str, http: &HttpOptions, sink: &mut dyn Sink) -> Result<(), Error> {
    let client = http_client(http)?;
    if url.ends_with('/') {
        for eco in DEFAULT_ECOSYSTEMS {
            let u = format!("{url}{}/all.zip", eco.replace(' ', "%20"));
            match download(&client, &u)? {
                Some(f) => read_zip(f, &u, sink)?,
                None => sink.problem(Problem {
                    origin: u,
                    message: "not found (404)".into(),
                }),
            }
        }
        return Ok(());
    }
    let Some(mut f) = download(&client, url)? else {
        return Err(Error::Source {
            source_name: url.to_owned(),
            message: "not found (404)".into(),
        });
    };
    let mut magic = [0u8; 2];
    let is_zip = f.read_exact(&mut magic).is_ok() && &magic == b"PK";
    f.rewind().map_err(|e| Error::Source {
        source_name: url.to_owned(),
        message: e.to_string().to_lowercase(),
    })?;
    if is_zip {
        read_zip(f, url, sink)
    } else {
        let mut buf = Vec::new();
        match f.take(MAX_ENTRY_BYTES + 1).read_to_end(&mut buf) {
            Ok(_) if buf.len() as u64 > MAX_ENTRY_BYTES => sink.problem(Problem {
                origin: url.to_owned(),
                message: format!("larger than {MAX_ENTRY_BYTES} bytes"),
            }),
            Ok(_) => sink.entry(url, &buf),
            Err(e) => sink.problem(Problem {
                origin: url.to_owned(),
                message: e.to_string().to_lowercase(),
            }),
        }
        Ok(())
    }
}
