//! What is never reported: placeholders, public example credentials, test fixtures of well-known
//! packages, hashes. Everything here is a table or a small predicate so the crate docs can list it.

/// Files never read (regexes over the path without its leading `/`), with the reason.
pub(crate) const BUILTIN_ALLOWED_PATHS: &[(&str, &str)] = &[
    (
        r"(^|/)(site|dist)-packages/(.+/)?(tests?|testing|testdata|test_data)/",
        "test suites of installed Python packages (paramiko, cryptography, twisted ship keys)",
    ),
    (
        r"(^|/)site-packages/Crypto(dome)?/SelfTest/",
        "pycryptodome's self-test vectors",
    ),
    (
        r"(^|/)lib/python[0-9.]*/(test|unittest/test|lib2to3/tests|idlelib/idle_test)/",
        "CPython's own test suite",
    ),
    (
        r"(^|/)node_modules/(.+/)?(tests?|__tests__|fixtures?)/",
        "test files shipped inside npm packages",
    ),
    (
        r"(^|/)go/(src|pkg/mod)/(.+/)?testdata/",
        "Go toolchain and module test data (crypto/tls ships keys)",
    ),
    (
        r"(^|/)(third_party|vendor|vendored)/(.+/)?(tests?|testdata|testing|fixtures?)/",
        "test suites of vendored libraries",
    ),
    (
        r"(^|/)(botocore/data|cfnlint/data)/",
        "AWS API models and examples (botocore) and CloudFormation schemas (cfn-lint)",
    ),
    (
        r"(^|/)lib/ruby/[0-9.]+/",
        "Ruby's standard library (documentation examples)",
    ),
    (
        r"(^|/)usr/lib/ruby/(gems/[0-9.]+/gems|vendor_ruby)/",
        "gems bundled with the Ruby interpreter and Debian's packaged Ruby libraries",
    ),
    (
        r"(^|/)node_modules/.+\.(md|markdown)$",
        "documentation shipped inside npm packages (README examples)",
    ),
    (
        r"(^|/)usr/share/perl/[0-9.]+/",
        "Perl's core library (POD examples)",
    ),
    (
        r"(^|/)usr/lib/[^/]+/perl(-base)?/",
        "Perl's architecture-specific core library and perl-base",
    ),
    (
        r"(^|/)gems/[^/]+/(test|spec)/",
        "test suites of installed Ruby gems",
    ),
    (
        r"(^|/)lib/python[23]\.[0-9]+/[^/]+\.py$",
        "CPython's standard library modules (docstring examples such as urllib's `passwd=`)",
    ),
    (
        r"(^|/)lib/python[23]\.[0-9]+/(asyncio|collections|concurrent|ctypes|curses|dbm|distutils|email|encodings|ensurepip|html|http|idlelib|importlib|json|lib2to3|logging|multiprocessing|pydoc_data|sqlite3|tkinter|tomllib|turtledemo|unittest|urllib|venv|wsgiref|xml|xmlrpc|zoneinfo)/",
        "CPython's standard library packages",
    ),
    (
        r"(^|/)[^/]+\.(dist-info|egg-info)/(METADATA|PKG-INFO)$",
        "installed packages' README text (PyJWT's documentation token)",
    ),
    (
        r"^usr/(local/go|lib/go-[0-9.]+|share/go-[0-9.]+|lib/golang)/(src|test|misc|lib)/",
        "the Go toolchain's sources (crypto/tls tests embed keys)",
    ),
    (
        r"^usr/share/(doc|man|info|locale|i18n|zoneinfo|mime|icons|vim|tcltk|lintian)/",
        "distribution documentation and data",
    ),
];

/// Lock files and checksum lists: full of hashes, never of assigned credentials.
const LOCKFILE_PATHS: &str = r"(^|/)(package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|Cargo\.lock|poetry\.lock|Pipfile\.lock|uv\.lock|composer\.lock|Gemfile\.lock|packages\.lock\.json|[^/]*\.sum|RECORD|SHA(1|256|512)SUMS|[^/]*\.sha(1|256|512))$";

/// Paths where some rules do not run: (rules, path regex, reason). In lock files only the
/// context-free rules are off; token rules and URLs with passwords (a `resolved` URL with
/// credentials is a real leak) still run.
pub(crate) const BUILTIN_RULE_PATHS: &[(&[&str], &str, &str)] = &[
    (
        &["high-entropy-secret", "jwt", "password-assignment"],
        LOCKFILE_PATHS,
        "lock files and checksum lists hold hashes",
    ),
    (
        &["password-assignment"],
        r"(^|/)nsswitch\.conf$",
        "`passwd: files` names the passwd database",
    ),
];

/// Secrets never reported by any rule (regexes over the secret), with the reason.
pub(crate) const BUILTIN_ALLOWED_VALUES: &[(&str, &str)] = &[
    (
        r"^AKIAIOSFODNN7EXAMPLE$",
        "the access key id of AWS's documentation",
    ),
    (
        r"^wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY$",
        "the secret access key of AWS's documentation",
    ),
    (
        r"^Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==$",
        "the published account key of Azurite and the Azure storage emulator",
    ),
    (
        r"^sk_test_(4eC39HqLyjWDarjtT1zdp7dc|BQokikJOvBiI2HlWgH4olfQ2)$",
        "Stripe's documentation test keys",
    ),
    (
        r"\.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ\.",
        "jwt.io's example token (payload: John Doe, 1234567890)",
    ),
    (
        r"^(2YotnFZFEjr1zCsicMWpAA|tGzv3JOkF0XG5Qx2TlKWIA|ad180jjd733klru7|hh5s93j4hdidpola|nnch734d00sl2jdk|kllo9940pd9333jh|dkj4jr5dv9q7v8xx)$",
        "example tokens of RFC 6749 (OAuth 2.0) and RFC 5849 (OAuth 1.0)",
    ),
    (
        r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$",
        "UUIDs (identifiers, not secrets)",
    ),
    (
        r"^(?i:sha1|sha224|sha256|sha384|sha512|md5|h1|blake2b)[:-]",
        "labelled hashes (`sha256:…`, `sha512-…`, `h1:…`)",
    ),
];

/// Values that stand for a secret without being one. `value` is the secret with quotes removed.
pub(crate) fn is_placeholder(value: &[u8]) -> bool {
    let v = value.trim_ascii();
    if v.is_empty() {
        return true;
    }
    let first = v.first().copied().unwrap_or(b' ');
    let last = v.last().copied().unwrap_or(b' ');
    // Variables and templates: $VAR ${VAR} $(cmd) {{ .Values.x }} %(name)s #{x} <password> {x} !vault
    if first == b'$' || first == b'!' || first == b'%' {
        return true;
    }
    if (first == b'<' && last == b'>')
        || (first == b'{' && last == b'}')
        || (first == b'[' && last == b']')
    {
        return true;
    }
    if contains(v, b"${")
        || contains(v, b"{{")
        || contains(v, b"}}")
        || contains(v, b"#{")
        || contains(v, b"%(")
    {
        return true;
    }
    // One repeated character (xxxx, ****, 0000, ....) or a run of masking characters.
    if v.iter().all(|&b| b == first) {
        return true;
    }
    if has_run(v, b"xX*#.", 5) {
        return true;
    }
    // No letter or digit at all (`:****`, `---`): a mask or a format, not a secret.
    if !v.iter().any(u8::is_ascii_alphanumeric) {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    const WHOLE: &[&[u8]] = &[
        b"password",
        b"passwd",
        b"pass",
        b"pwd",
        b"secret",
        b"token",
        b"none",
        b"null",
        b"nil",
        b"undefined",
        b"true",
        b"false",
        b"string",
        b"str",
        b"value",
        b"test",
        b"testing",
        b"foo",
        b"bar",
        b"foobar",
        b"baz",
        b"tbd",
        b"todo",
        b"required",
        b"optional",
        b"unset",
        b"mypassword",
        b"mysecret",
        b"secretpassword",
        b"password123",
        b"default",
        b"empty",
        b"hidden",
        b"masked",
        b"private",
        b"env",
        b"environment",
        b"bool",
        b"boolean",
        b"int",
        b"integer",
        b"number",
        b"object",
        b"array",
        b"list",
        b"dict",
        b"map",
        b"define",
        b"undef",
    ];
    if WHOLE.contains(&lower.as_slice()) {
        return true;
    }
    const PART: &[&[u8]] = &[
        b"example",
        b"changeme",
        b"change_me",
        b"change-me",
        b"changeit",
        b"placeholder",
        b"dummy",
        b"redacted",
        b"your_",
        b"your-",
        b"yourpass",
        b"yoursecret",
        b"yourtoken",
        b"replace_me",
        b"replaceme",
        b"replace-me",
        b"insert_",
        b"insert-",
        b"fake",
        b"notasecret",
        b"not-a-secret",
        b"not_a_secret",
    ];
    PART.iter().any(|p| contains(&lower, p))
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

fn has_run(v: &[u8], chars: &[u8], len: usize) -> bool {
    let mut run = 0usize;
    let mut prev = 0u8;
    for &b in v {
        if chars.contains(&b) && b == prev {
            run += 1;
        } else {
            run = 1;
        }
        prev = b;
        if run >= len && chars.contains(&b) {
            return true;
        }
    }
    false
}

/// A password value that names a password (`challengePassword`, `db-password-label`): a label.
pub(crate) fn is_password_label(value: &[u8]) -> bool {
    let lower = value.to_ascii_lowercase();
    contains(&lower, b"password") || contains(&lower, b"passwd")
}

/// Shannon entropy in bits per byte.
pub(crate) fn shannon_entropy(v: &[u8]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in v {
        if let Some(c) = counts.get_mut(usize::from(b)) {
            *c += 1;
        }
    }
    let n = v.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Source code, where an unquoted right-hand side is an expression, not a literal.
pub(crate) fn is_source_code(path: &str) -> bool {
    const EXT: &[&str] = &[
        "py", "pyi", "pyx", "js", "mjs", "cjs", "ts", "tsx", "jsx", "go", "java", "kt", "kts",
        "scala", "groovy", "rb", "php", "c", "h", "cc", "cpp", "cxx", "hpp", "cs", "rs", "swift",
        "pl", "pm", "lua", "r", "m", "dart", "ex", "exs", "erl", "clj", "vue", "svelte",
    ];
    extension(path).is_some_and(|e| EXT.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// Files whose name says they are binary or compressed; never read.
pub(crate) fn is_binary_name(path: &str) -> bool {
    const EXT: &[&str] = &[
        "png", "jpg", "jpeg", "gif", "bmp", "ico", "icns", "webp", "tif", "tiff", "svgz", "pdf",
        "zip", "gz", "tgz", "bz2", "xz", "lz", "lz4", "lzma", "zst", "7z", "rar", "jar", "war",
        "ear", "class", "a", "o", "ko", "so", "dylib", "dll", "exe", "bin", "pyc", "pyo", "whl",
        "egg", "mo", "gmo", "woff", "woff2", "ttf", "otf", "eot", "pcf", "mp3", "mp4", "wav",
        "ogg", "flac", "avi", "mkv", "mov", "webm", "db", "sqlite", "sqlite3", "deb", "rpm", "apk",
        "iso", "img", "qcow2", "wasm", "node", "beam", "cache", "dat", "pak", "npy", "pickle",
        "pkl", "parquet", "pt", "onnx", "hwdb", "cdb",
    ];
    let name = path.rsplit('/').next().unwrap_or(path);
    // libfoo.so.1.2.3
    if name.contains(".so.") {
        return true;
    }
    extension(name).is_some_and(|e| EXT.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

fn extension(path: &str) -> Option<&str> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let (stem, ext) = name.rsplit_once('.')?;
    (!stem.is_empty()).then_some(ext)
}

/// A value that looks like an identifier (`db_password_v2`, `get-token`) rather than random.
pub(crate) fn is_identifier_like(v: &[u8]) -> bool {
    let mut parts = v.split(|&b| b == b'_' || b == b'-' || b == b'.');
    let Some(first) = parts.next() else {
        return false;
    };
    let word = |p: &[u8]| {
        !p.is_empty()
            && p.iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    let starts_alpha = first.first().is_some_and(u8::is_ascii_lowercase);
    let rest: Vec<&[u8]> = parts.collect();
    starts_alpha && word(first) && !rest.is_empty() && rest.iter().all(|p| word(p))
}

/// A CamelCase type name (`V1LocalObjectReference`, `SecretKeySpec`): every capital starts a
/// word of at least three letters, so random base62 almost never has this shape.
pub(crate) fn is_camel_identifier(v: &[u8]) -> bool {
    if !v.first().is_some_and(u8::is_ascii_alphabetic) || !v.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let mut words = 0;
    let mut i = 1;
    // The first word: one letter, then lowercase letters or digits (`V1`, `get`).
    while v
        .get(i)
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        i += 1;
    }
    while let Some(b) = v.get(i) {
        if !b.is_ascii_uppercase() {
            return false;
        }
        let start = i;
        i += 1;
        while v.get(i).is_some_and(u8::is_ascii_lowercase) {
            i += 1;
        }
        if i - start < 3 {
            return false;
        }
        while v.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        words += 1;
    }
    words >= 2
}

/// Key names that hold a hash, an id or a location rather than a credential.
pub(crate) fn is_non_secret_key(key: &[u8]) -> bool {
    let k = key.to_ascii_lowercase();
    const HAS: &[&[u8]] = &[
        b"hash",
        b"checksum",
        b"digest",
        b"sha1",
        b"sha256",
        b"sha512",
        b"md5",
        b"fingerprint",
        b"integrity",
    ];
    const ENDS: &[&[u8]] = &[
        b"id",
        b"ids",
        b"name",
        b"file",
        b"path",
        b"url",
        b"uri",
        b"type",
        b"length",
        b"size",
        b"ttl",
        b"expiry",
        b"expires",
        b"endpoint",
        b"header",
        b"prefix",
        b"version",
        b"ref",
        b"reference",
        b"class",
        b"kind",
        b"arn",
    ];
    HAS.iter().any(|h| contains(&k, h)) || ENDS.iter().any(|e| k.ends_with(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_recognised_and_generated_secrets_are_not() {
        for p in [
            "",
            "changeme",
            "<password>",
            "${DB_PASSWORD}",
            "$DB_PASSWORD",
            "{{ .Values.db.password }}",
            "xxxx",
            "****",
            "password",
            "example",
            "dummy",
            "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "AKIAIOSFODNN7EXAMPLE",
            "%(db_password)s",
            "{password}",
            "!vault",
            "your_api_key_here",
            "00000000",
            "REDACTED",
        ] {
            assert!(
                is_placeholder(p.as_bytes()),
                "{p:?} should be a placeholder"
            );
        }
        for s in [
            "Zq8!mT2#vLp9",
            "ghp_8fK2mQ9xLpR4vT7wZ1cN5bH3jD6sA0eYgU2i",
            "s3cr3t-Pa55w0rd",
            "hunter2hunter2",
            "4f9c2d7e1a8b6c3d",
            "admin",
        ] {
            assert!(
                !is_placeholder(s.as_bytes()),
                "{s:?} should not be a placeholder"
            );
        }
    }

    #[test]
    fn entropy_of_random_and_repetitive_values() {
        assert_eq!(shannon_entropy(b""), 0.0);
        assert_eq!(shannon_entropy(b"aaaa"), 0.0);
        assert!((shannon_entropy(b"abcd") - 2.0).abs() < 1e-9);
        assert!(shannon_entropy(b"Tq7ZkP2vXw9LmR4sNb6YcH1d") > 4.0);
    }

    #[test]
    fn names_classify_code_binaries_and_identifiers() {
        assert!(is_source_code("/app/settings.py"));
        assert!(!is_source_code("/app/.env"));
        assert!(!is_source_code("/etc/app.conf"));
        assert!(is_binary_name("/usr/lib/x86_64-linux-gnu/libc.so.6"));
        assert!(is_binary_name("/usr/share/icons/a.PNG"));
        assert!(!is_binary_name("/root/.ssh/id_rsa"));
        assert!(!is_binary_name("/home/dev/.bashrc"));
        assert!(is_identifier_like(b"db_password_v2"));
        assert!(!is_identifier_like(b"Tq7ZkP2vXw9LmR4s"));
        assert!(!is_identifier_like(b"q7zkp2vxw9lmr4snb6"));
        assert!(is_camel_identifier(b"V1LocalObjectReference"));
        assert!(is_camel_identifier(b"SecretKeySpec"));
        assert!(!is_camel_identifier(b"Tq7ZkP2vXw9LmR4sNb6YcH1d"));
        assert!(!is_camel_identifier(b"GObkWQ7E5DH6HqjuASaLajDH"));
        assert!(is_non_secret_key(b"private_key_id"));
        assert!(is_non_secret_key(b"token_sha256"));
        assert!(!is_non_secret_key(b"SECRET_KEY_BASE"));
    }
}
