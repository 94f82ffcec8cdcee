#!/usr/bin/env python3
"""Independent oracle: which OSV records affect which packages of a zoll SBOM.

Usage:
    expected.py --sbom SBOM.json --osv PATH [--osv PATH ...] [--summary] [--explain]

Each PATH is a .zip (members *.json, e.g. osv.dev's <ECOSYSTEM>/all.zip), a
single .json record, or a directory searched recursively for *.json and *.zip.
Prints a sorted JSON array of [purl, advisory_id] pairs, one pair a line.
--summary prints pair counts per ecosystem to stderr; --explain prints, for
each pair, the affected entry and range that matched.

Written from the OSV schema's "Evaluation" pseudocode
(https://ossf.github.io/osv-schema/#evaluation), not from zoll's code:

    IsVulnerable(pkg, v, osv): any affected entry of pkg with v in `versions`
        or IncludedInRanges(v, ranges)
    IncludedInRanges: for each range with BeforeLimits(v, range):
        vulnerable = false; for evt in sorted(events):
            introduced and v >= introduced      -> vulnerable = true
            fixed and v >= fixed                -> vulnerable = false
            last_affected and v > last_affected -> vulnerable = false
        if vulnerable: true
    BeforeLimits: no limit event -> true; else v < some limit

"introduced": "0" sorts before every version and "limit": "*" after every one.
Events are sorted by version with a stable sort (equal versions keep their
order in the record).  Only ECOSYSTEM and SEMVER ranges are evaluated; GIT
ranges are ignored.  Records with `withdrawn` are skipped.  When one id comes
from several inputs, the copy with the latest `modified` is used (a tie goes
to the later input on the command line); a warning names the duplicates.

Matching rules (the project's spec)
-----------------------------------
* deb -> "Debian:<major of distro.version_id>" (distro.id debian);
  apk -> "Alpine:v<major>.<minor>" (distro.id alpine);
  rpm -> "AlmaLinux:<major>" / "Rocky Linux:<major>" only (best effort, the
  test images have no rpm).  OS packages use source.name / source.version when
  present, else the binary name / version.  The OSV ecosystem must equal the
  image's ecosystem string exactly.
* python -> PyPI (PEP 503 names on both sides: lowercase, runs of -_. -> -);
  npm -> npm ("@scope/name" from the purl); cargo -> crates.io; go-module ->
  Go (module path from the purl; stdlib stays "stdlib"); maven -> Maven
  ("group:artifact" from the purl); gem -> RubyGems; composer -> Packagist
  ("vendor/name"); nuget -> NuGet (names compared case-insensitively).
  Language names come from the purl (percent-decoded), versions from the SBOM's
  `version`.
* `versions` lists match by exact string; for Go the SBOM's leading "v" is
  dropped first (OSV Go records write 1.2.3, the SBOM v1.2.3).
* A version the comparator cannot parse (SBOM side): warning on stderr, the
  package is not matched by ranges (still by `versions`).  An event version it
  cannot parse: warning, that range does not match.

Version order
-------------
* SEMVER ranges, and ECOSYSTEM ranges of npm, crates.io and Go: Semantic
  Versioning 2.0 precedence (univers SemverVersion; a leading "v" is dropped
  for Go).
* PyPI: PEP 440, packaging.version.Version.
* Debian: `dpkg --compare-versions` (results cached); a version dpkg reports
  as "bad syntax" is unparseable.
* Alpine: univers AlpineLinuxVersion.  Maven: univers MavenVersion.
  RubyGems: univers RubygemsVersion.  NuGet: univers NugetVersion.
  AlmaLinux / Rocky Linux: univers RpmVersion.
* Packagist: our own small comparator, PHP's version_compare() over the
  canonical form osv.dev's tooling uses (see php_version_compare below).
  univers' ComposerVersion is semver-based and gets 29 of the 93 Packagist
  ordering vectors in shared/data/version-order wrong (1.0-dev < 1.0a1,
  1.0 < 1.0pl1, 1.0.0 > 1.0 ...).
"""

import argparse
import functools
import json
import os
import re
import subprocess
import sys
import zipfile
from urllib.parse import unquote

from packaging.version import InvalidVersion as PepInvalid
from packaging.version import Version as PepVersion
from univers import versions as uv


def warn(msg):
    print(f"warning: {msg}", file=sys.stderr)


# ---------------------------------------------------------------------------
# Comparators: each is an object with parse(str) -> key (raises ValueError) and
# cmp(key_a, key_b) -> -1/0/1.


class Unparseable(ValueError):
    pass


class UniversScheme:
    def __init__(self, cls, strip_v=False):
        self.cls = cls
        self.strip_v = strip_v

    def parse(self, s):
        if self.strip_v and s[:1] in ("v", "V") and s[1:2].isdigit():
            s = s[1:]
        try:
            return self.cls(s)
        except Exception as exc:  # univers raises several kinds
            raise Unparseable(f"{s!r} is not a valid {self.cls.__name__}: {exc}") from exc

    @staticmethod
    def cmp(a, b):
        return (a > b) - (a < b)


class Pep440Scheme:
    @staticmethod
    def parse(s):
        try:
            return PepVersion(s)
        except PepInvalid as exc:
            raise Unparseable(f"{s!r} is not a PEP 440 version") from exc

    @staticmethod
    def cmp(a, b):
        return (a > b) - (a < b)


class DpkgScheme:
    """Debian order by dpkg itself; every answer is cached."""

    @staticmethod
    @functools.lru_cache(maxsize=None)
    def parse(s):
        run = subprocess.run(["dpkg", "--compare-versions", s, "eq", s],
                             capture_output=True, text=True, check=False)
        if run.returncode != 0 or "bad syntax" in run.stderr:
            raise Unparseable(f"{s!r} is not a Debian version: {run.stderr.strip()}")
        return s

    @staticmethod
    @functools.lru_cache(maxsize=None)
    def cmp(a, b):
        if a == b:
            return 0

        def rel(op):
            return subprocess.run(["dpkg", "--compare-versions", a, op, b],
                                  capture_output=True, check=False).returncode == 0

        if rel("lt"):
            return -1
        return 0 if rel("eq") else 1


# Packagist order: PHP's version_compare() (ext/standard/versioning.c), which
# Composer's constraints apply, with the canonicalisation osv.dev's tooling
# uses (osv-scalibr semantic/version-packagist.go, whose vectors are in
# shared/data/version-order): a leading v/V dropped, "-", "_", "+" -> ".", a
# "." between a digit and a non-digit; "#" stays a component (PHP itself would
# drop it).  Components compare numerically when both are numbers, else by
# PHP's special forms: dev < alpha = a < beta = b < RC = rc < # (a number)
# < pl = p (prefix match; anything else sorts below dev).
_PHP_FORMS = (("dev", 0), ("alpha", 1), ("a", 1), ("beta", 2), ("b", 2),
              ("RC", 3), ("rc", 3), ("#", 4), ("pl", 5), ("p", 5))


def _php_canonicalize(v):
    if v[:1] in ("v", "V"):
        v = v[1:]
    v = re.sub(r"[-_+]", ".", v)
    v = re.sub(r"([^\d.])(\d)", r"\1.\2", v)
    v = re.sub(r"(\d)([^\d.])", r"\1.\2", v)
    return v.split(".")


def _php_form(s):
    for name, order in _PHP_FORMS:
        if s.startswith(name):
            return order
    return -1


def _is_num(s):
    return bool(s) and s.isascii() and s.isdigit()


def _php_parts_compare(pa, pb):
    for x, y in zip(pa, pb):
        if _is_num(x) and _is_num(y):
            compare = (int(x) > int(y)) - (int(x) < int(y))
        else:
            fx = 4 if _is_num(x) else _php_form(x)
            fy = 4 if _is_num(y) else _php_form(y)
            compare = (fx > fy) - (fx < fy)
        if compare:
            return compare
    n = min(len(pa), len(pb))
    if len(pa) > n:
        return 1 if _is_num(pa[n]) else _php_parts_compare(pa[n:], ["#"])
    if len(pb) > n:
        return -1 if _is_num(pb[n]) else _php_parts_compare(["#"], pb[n:])
    return 0


def php_version_compare(v1, v2):
    return _php_parts_compare(_php_canonicalize(v1), _php_canonicalize(v2))


class ComposerScheme:
    @staticmethod
    def parse(s):
        if s[:1] in ("v", "V") and s[1:2].isdigit():
            s = s[1:]
        if not s:
            raise Unparseable("empty Packagist version")
        return s

    @staticmethod
    def cmp(a, b):
        return php_version_compare(a, b)


SEMVER = UniversScheme(uv.SemverVersion)
GO_SEMVER = UniversScheme(uv.SemverVersion, strip_v=True)

ECOSYSTEM_SCHEMES = {
    "PyPI": Pep440Scheme(),
    "Debian": DpkgScheme(),
    "Alpine": UniversScheme(uv.AlpineLinuxVersion),
    "Maven": UniversScheme(uv.MavenVersion),
    "RubyGems": UniversScheme(uv.RubygemsVersion),
    "NuGet": UniversScheme(uv.NugetVersion),
    "Packagist": ComposerScheme(),
    "npm": SEMVER,
    "crates.io": SEMVER,
    "Go": GO_SEMVER,
    "AlmaLinux": UniversScheme(uv.RpmVersion),
    "Rocky Linux": UniversScheme(uv.RpmVersion),
}


def base_ecosystem(ecosystem):
    return ecosystem.split(":", 1)[0]


def scheme_for(ecosystem, range_type):
    base = base_ecosystem(ecosystem)
    if range_type == "SEMVER":
        return GO_SEMVER if base == "Go" else SEMVER
    if range_type == "ECOSYSTEM":
        return ECOSYSTEM_SCHEMES.get(base)
    return None  # GIT and unknown types are not evaluated


# ---------------------------------------------------------------------------
# OSV evaluation


_MIN, _MAX = object(), object()


def _key_cmp(scheme):
    def cmp(a, b):
        ka, kb = a[0], b[0]
        if ka is kb:
            return 0
        if ka is _MIN or kb is _MAX:
            return -1
        if ka is _MAX or kb is _MIN:
            return 1
        return scheme.cmp(ka, kb)
    return cmp


def range_includes(scheme, v, events, where):
    """IncludedInRanges for one range; None when an event cannot be parsed."""
    parsed = []
    for evt in events:
        for kind, value in evt.items():
            if kind not in ("introduced", "fixed", "last_affected", "limit"):
                continue
            value = str(value)
            if kind == "introduced" and value == "0":
                key = _MIN
            elif kind == "limit" and value == "*":
                key = _MAX
            else:
                try:
                    key = scheme.parse(value)
                except Unparseable as exc:
                    warn(f"{where}: {kind} {exc}; range skipped")
                    return None
            parsed.append((key, kind))
    cmp = _key_cmp(scheme)
    vk = (v, None)
    limits = [p for p in parsed if p[1] == "limit"]
    if limits and not any(cmp(vk, lim) < 0 for lim in limits):
        return False  # not BeforeLimits
    vulnerable = False
    for evt in sorted(parsed, key=functools.cmp_to_key(cmp)):
        kind = evt[1]
        if kind == "introduced" and cmp(vk, evt) >= 0:
            vulnerable = True
        elif kind == "fixed" and cmp(vk, evt) >= 0:
            vulnerable = False
        elif kind == "last_affected" and cmp(vk, evt) > 0:
            vulnerable = False
    return vulnerable


def affected_matches(ecosystem, version, affected, where, parsed_cache):
    """(True, reason) when version is in affected's versions or ranges."""
    vstr = version
    if base_ecosystem(ecosystem) == "Go" and vstr[:1] == "v" and vstr[1:2].isdigit():
        vstr = vstr[1:]
    if vstr in (affected.get("versions") or []) or version in (affected.get("versions") or []):
        return True, "versions"
    for i, rng in enumerate(affected.get("ranges") or []):
        scheme = scheme_for(ecosystem, rng.get("type"))
        if scheme is None:
            if rng.get("type") not in ("GIT",):
                warn(f"{where}: no comparator for {ecosystem} {rng.get('type')} ranges")
            continue
        ck = id(scheme)
        if ck not in parsed_cache:
            try:
                parsed_cache[ck] = scheme.parse(version)
            except Unparseable as exc:
                warn(f"{where}: package version {exc}; not matched by ranges")
                parsed_cache[ck] = None
        v = parsed_cache[ck]
        if v is None:
            continue
        if range_includes(scheme, v, rng.get("events") or [], f"{where} range {i}"):
            return True, f"range {i} {rng.get('type')} {json.dumps(rng.get('events'))}"
    return False, None


# ---------------------------------------------------------------------------
# Names


def pep503(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def normalise_name(ecosystem, name):
    base = base_ecosystem(ecosystem)
    if base == "PyPI":
        return pep503(name)
    if base == "NuGet":
        return name.lower()
    return name


def parse_purl(purl):
    """(type, [namespace segments], name, version) of a purl, percent-decoded."""
    if not purl.startswith("pkg:"):
        raise ValueError(f"not a purl: {purl!r}")
    rest = purl[4:].split("#", 1)[0].split("?", 1)[0].strip("/")
    ptype, _, path = rest.partition("/")
    segments = path.split("/")
    last = segments[-1]
    version = None
    if "@" in last:
        last, version = last.rsplit("@", 1)
        version = unquote(version)
    ns = [unquote(s) for s in segments[:-1] if s]
    return ptype.lower(), ns, unquote(last), version


OS_TYPES = {"deb", "apk", "rpm"}
LANG_ECOSYSTEMS = {
    "python": "PyPI", "npm": "npm", "cargo": "crates.io", "go-module": "Go",
    "maven": "Maven", "gem": "RubyGems", "composer": "Packagist", "nuget": "NuGet",
}


def os_ecosystem(ptype, distro):
    did = (distro or {}).get("id", "")
    ver = (distro or {}).get("version_id", "")
    parts = ver.split(".")
    if ptype == "deb" and did == "debian" and parts[0]:
        return f"Debian:{parts[0]}"
    if ptype == "apk" and did == "alpine" and len(parts) >= 2:
        return f"Alpine:v{parts[0]}.{parts[1]}"
    if ptype == "rpm" and did == "almalinux" and parts[0]:
        return f"AlmaLinux:{parts[0]}"
    if ptype == "rpm" and did == "rocky" and parts[0]:
        return f"Rocky Linux:{parts[0]}"
    return None


def package_key(pkg, distro, warned):
    """(ecosystem, OSV-side name, version) of an SBOM package, or None."""
    ptype = pkg.get("type")
    if ptype in OS_TYPES:
        eco = os_ecosystem(ptype, distro)
        if eco is None:
            key = (ptype, (distro or {}).get("id"), (distro or {}).get("version_id"))
            if key not in warned:
                warned.add(key)
                warn(f"no OSV ecosystem for {ptype} packages on distro {key[1]!r} {key[2]!r}")
            return None
        src = pkg.get("source") or {}
        return eco, src.get("name") or pkg["name"], src.get("version") or pkg["version"]
    eco = LANG_ECOSYSTEMS.get(ptype)
    if eco is None:
        if ptype not in warned:
            warned.add(ptype)
            warn(f"no OSV ecosystem for package type {ptype!r}")
        return None
    name = pkg["name"]
    purl = pkg.get("purl")
    if purl:
        _t, ns, pname, _v = parse_purl(purl)
        if eco == "Maven":
            name = f"{'/'.join(ns)}:{pname}" if ns else pname
        elif eco == "Go" and pname == "stdlib" and not ns:
            name = "stdlib"
        else:
            name = "/".join(ns + [pname])
    return eco, name, pkg["version"]


# ---------------------------------------------------------------------------
# Loading OSV records


def iter_records(path):
    """Yield (origin, record dict) from a zip, a json file or a directory."""
    if os.path.isdir(path):
        for root, dirs, files in os.walk(path):
            dirs.sort()
            for name in sorted(files):
                if name.endswith((".json", ".zip")):
                    yield from iter_records(os.path.join(root, name))
        return
    if path.endswith(".zip"):
        with zipfile.ZipFile(path) as zf:
            for member in sorted(zf.namelist()):
                if member.endswith(".json"):
                    yield f"{path}!{member}", json.loads(zf.read(member))
        return
    with open(path, encoding="utf-8") as fh:
        yield path, json.load(fh)


def load_records(paths):
    chosen = {}
    dups = set()
    for order, path in enumerate(paths):
        if not os.path.exists(path):
            raise SystemExit(f"--osv {path}: no such file or directory")
        for origin, rec in iter_records(path):
            if not isinstance(rec, dict) or "id" not in rec:
                warn(f"{origin}: not an OSV record, skipped")
                continue
            rid = rec["id"]
            rank = (rec.get("modified") or "", order)
            if rid in chosen:
                dups.add(rid)
                if rank < chosen[rid][0]:
                    continue
            chosen[rid] = (rank, rec)
    if dups:
        warn(f"{len(dups)} id(s) found more than once, the latest `modified` kept: "
             + ", ".join(sorted(dups)[:8]))
    return [rec for _rank, rec in chosen.values()]


def build_index(records):
    index = {}
    withdrawn = 0
    for rec in records:
        if rec.get("withdrawn"):
            withdrawn += 1
            continue
        for affected in rec.get("affected") or []:
            pkg = affected.get("package") or {}
            eco, name = pkg.get("ecosystem"), pkg.get("name")
            if not eco or not name:
                continue
            index.setdefault((eco, normalise_name(eco, name)), []).append((rec["id"], affected))
    return index, withdrawn


# ---------------------------------------------------------------------------


def compute(sbom, records, explain=False):
    index, _withdrawn = build_index(records)
    distro = sbom.get("distro")
    pairs = {}
    warned = set()
    for pkg in sbom.get("packages") or []:
        key = package_key(pkg, distro, warned)
        if key is None:
            continue
        eco, name, version = key
        candidates = index.get((eco, normalise_name(eco, name)))
        if not candidates:
            continue
        purl = pkg.get("purl") or f"{eco}/{name}@{version}"
        parsed_cache = {}
        for rid, affected in candidates:
            if (purl, rid) in pairs:
                continue
            where = f"{rid} / {eco} {name} {version}"
            hit, reason = affected_matches(eco, version, affected, where, parsed_cache)
            if hit:
                pairs[(purl, rid)] = eco
                if explain:
                    print(f"match {purl} {rid}: {eco} {name} {version} in {reason}",
                          file=sys.stderr)
    return pairs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sbom", required=True)
    ap.add_argument("--osv", action="append", required=True, metavar="PATH")
    ap.add_argument("--summary", action="store_true",
                    help="print pair counts per ecosystem to stderr")
    ap.add_argument("--explain", action="store_true",
                    help="print why each pair matched to stderr")
    args = ap.parse_args(argv)

    with open(args.sbom, encoding="utf-8") as fh:
        sbom = json.load(fh)
    records = load_records(args.osv)
    pairs = compute(sbom, records, explain=args.explain)

    out = sorted([purl, rid] for purl, rid in pairs)
    sys.stdout.write("[\n" + ",\n".join("  " + json.dumps(p) for p in out)
                     + ("\n" if out else "") + "]\n")
    if args.summary:
        counts = {}
        for eco in pairs.values():
            counts[eco] = counts.get(eco, 0) + 1
        for eco in sorted(counts):
            print(f"{eco}\t{counts[eco]}", file=sys.stderr)
        print(f"total\t{len(pairs)}", file=sys.stderr)


if __name__ == "__main__":
    main()
