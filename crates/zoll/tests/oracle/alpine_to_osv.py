#!/usr/bin/env python3
"""Convert Alpine secdb data into OSV records, the way osv.dev does.

Usage:
    alpine_to_osv.py [--timestamp RFC3339] [--schema osv-schema.json]
                     [--as-release vX.Y] OUTDIR SRC...

SRC is any mix of
  * an Alpine secdb YAML file (alpine-secdb's v3.10/main.yaml ...), or a
    directory holding such *.yaml files (e.g. .../alpine-secdb/v3.10);
  * a tree of secdb JSON files as aquasecurity/vuln-list lays them out
    (<release>/<repo>/<package>.json, each {"name", "secfixes", "distroversion"...}),
    searched recursively for *.json.
Records are written to OUTDIR/Alpine/<ID>.json.

Decisions (each follows osv.dev's Alpine converter, vulnfeeds/cmd/converters/
alpine/main.go, unless it says otherwise):

* One record per CVE id, id "ALPINE-<CVE id>", holding one `affected` entry per
  (package, release, fixed version) that the secdb lists for that CVE.  osv.dev
  groups every Alpine release into the same record; a record per (release, CVE)
  is impossible with osv.dev's ids (ALPINE-CVE-X would clash across releases).
* `upstream: [<CVE id>]`; no `aliases` (osv.dev sets none for Alpine: the CVE
  record and the Alpine record are upstream/downstream, not the same advisory).
* Ecosystem "Alpine:<distroversion>", e.g. "Alpine:v3.10".  The release comes
  from the file's `distroversion`; when a file has none, from the first path
  component that looks like a release ("v3.10" or "3.19" -> "v3.19").
* Package name = the secdb package name (an aport, i.e. the origin/source
  package), purl "pkg:apk/alpine/<name>?arch=source" as osv.dev writes it.
* ranges: [{type: ECOSYSTEM, events: [{introduced: "0"}, {fixed: V}]}].
  A package listed under two fixed versions for the same CVE in one release
  (backports, e.g. busybox CVE-2019-5747 in v3.11: 1.30.1-r2 and 1.29.3-r10)
  gets two affected entries, as osv.dev emits them; exact duplicates are merged.
* secfixes key "0" ("never affected in this release") is skipped.
* Fixed versions that fail osv.dev's Alpine version regex (verify.go), e.g.
  "4.8.0.-r1", are skipped with a warning, as osv.dev does.
* Only the first whitespace-separated token of a secfixes entry is the id
  ("CVE-2019-5060 TALOS-2019-0844" -> CVE-2019-5060), as osv.dev does.
  osv.dev then drops ids it cannot find in NVD; without NVD here, ids that are
  not of the form CVE-YYYY-NNNN+ are dropped with a warning (XSA-254,
  ALPINE-13661, CVE_2019-2426, CVE-????-?????, CVE-2017-17434-1 ...).
* `published` and `modified` are both --timestamp (default
  osvout.DEFAULT_TIMESTAMP): osv.dev takes `published` from NVD, which the test
  data does not have, and a constant keeps the output reproducible.
* `details` is a one-line text naming the fixes; osv.dev copies NVD's
  description there.  references: the Alpine security tracker page
  (https://security.alpinelinux.org/vuln/<CVE>), as osv.dev writes it.
* schema_version "1.7.5" (the schema in shared/data).  With --schema, every
  record is validated with `jsonschema` before it is written.
* --as-release vX.Y (SYNTHETIC test data, not what osv.dev publishes): label
  every fix of this invocation's sources as release vX.Y, e.g. to apply the
  3.20 secfixes to the 3.10 test image (the alpine-secdb v3.10/v3.11 snapshot
  holds no fix newer than the packages of the alpine-310/311 images, so real
  data yields no match there).  Write such records to their own OUTDIR: their
  ids are the real ALPINE-CVE ids.
"""

import argparse
import json
import os
import re
import sys

import yaml  # PyYAML, pinned in requirements.txt

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osvout  # noqa: E402

# osv.dev vulnfeeds/cmd/converters/alpine/verify.go, after APKBUILD(5).
VALID_VERSION = re.compile(
    r"^(\d+\.)*(\d+)[a-zA-Z]?(_?(?:alpha|beta|rc|pre|cvs|svn|git|hg|p)\d*)?([-\.]r\d+)?$")
CVE_ID = re.compile(r"^CVE-\d{4}-\d{4,}$")
RELEASE_IN_PATH = re.compile(r"^v?(\d+\.\d+)$")


def release_from_path(path):
    for part in reversed(os.path.abspath(path).split(os.sep)):
        m = RELEASE_IN_PATH.match(part)
        if m:
            return "v" + m.group(1)
    return None


def normalise_release(value, path):
    if value:
        value = str(value)
        return value if value.startswith("v") else "v" + value
    rel = release_from_path(path)
    if rel is None:
        raise SystemExit(f"{path}: no distroversion and no release in the path")
    return rel


def iter_source_files(src):
    """Yield (path, kind) for every secdb file under src."""
    if os.path.isfile(src):
        kind = "json" if src.endswith(".json") else "yaml"
        yield src, kind
        return
    if not os.path.isdir(src):
        raise SystemExit(f"no such file or directory: {src}")
    for root, dirs, files in os.walk(src):
        dirs.sort()
        for name in sorted(files):
            if name.endswith((".yaml", ".yml")):
                yield os.path.join(root, name), "yaml"
            elif name.endswith(".json"):
                yield os.path.join(root, name), "json"


def iter_secfixes(path, kind):
    """Yield (release, package, fixed_version, [entries]) from one file."""
    with open(path, encoding="utf-8") as fh:
        if kind == "yaml":
            # BaseLoader keeps every scalar a string: "1.10" must not become 1.1.
            doc = yaml.load(fh, Loader=yaml.BaseLoader)
            release = normalise_release(doc.get("distroversion"), path)
            pkgs = [p.get("pkg", {}) for p in doc.get("packages") or []]
        else:
            doc = json.load(fh)
            release = normalise_release(doc.get("distroversion"), path)
            pkgs = [doc]
    for pkg in pkgs:
        name = pkg.get("name")
        secfixes = pkg.get("secfixes") or {}
        if not name or not isinstance(secfixes, dict):
            osvout.warn(f"{path}: skipping malformed package entry {pkg!r:.80}")
            continue
        for version, entries in secfixes.items():
            yield release, name, str(version), [str(e) for e in entries or []]


def convert(sources, as_release=None):
    by_cve = {}  # CVE -> set of (package, release, fixed)
    dropped_ids = set()
    for src in sources:
        for path, kind in iter_source_files(src):
            for release, name, version, entries in iter_secfixes(path, kind):
                if version == "0":
                    continue  # never affected in this release
                if not VALID_VERSION.match(version):
                    osvout.warn(f"{path}: {name}: invalid Alpine version {version!r}, skipped")
                    continue
                if as_release:
                    release = as_release
                for entry in entries:
                    token = entry.split()[0] if entry.split() else ""
                    if not CVE_ID.match(token):
                        dropped_ids.add(entry)
                        continue
                    by_cve.setdefault(token, set()).add((name, release, version))
    if dropped_ids:
        osvout.warn(f"{len(dropped_ids)} non-CVE secfixes entries dropped, e.g. "
                    + ", ".join(sorted(dropped_ids)[:6]))
    return by_cve


def build_record(cve, fixes, timestamp):
    affected = []
    # osv.dev sorts by package, then release, then version (as strings).
    for name, release, fixed in sorted(fixes):
        affected.append({
            "package": {
                "ecosystem": f"Alpine:{release}",
                "name": name,
                "purl": f"pkg:apk/alpine/{name}?arch=source",
            },
            "ranges": [{
                "type": "ECOSYSTEM",
                "events": [{"introduced": "0"}, {"fixed": fixed}],
            }],
        })
    fixed_text = "; ".join(f"{n} {v} (Alpine {r})" for n, r, v in sorted(fixes))
    return {
        "schema_version": osvout.SCHEMA_VERSION,
        "id": f"ALPINE-{cve}",
        "modified": timestamp,
        "published": timestamp,
        "upstream": [cve],
        "details": f"{cve} is fixed in: {fixed_text} (Alpine secdb).",
        "affected": affected,
        "references": [{
            "type": "ADVISORY",
            "url": f"https://security.alpinelinux.org/vuln/{cve}",
        }],
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("sources", nargs="+", metavar="SRC")
    ap.add_argument("--timestamp", default=osvout.DEFAULT_TIMESTAMP,
                    type=osvout.check_timestamp,
                    help="RFC 3339 UTC time for `modified` and `published`")
    ap.add_argument("--schema", help="validate every record against this OSV JSON schema")
    ap.add_argument("--as-release", metavar="vX.Y",
                    help="SYNTHETIC: label every fix as this Alpine release")
    args = ap.parse_args(argv)
    if args.as_release and not re.match(r"^v\d+\.\d+$", args.as_release):
        raise SystemExit(f"--as-release wants vX.Y, not {args.as_release!r}")

    validator = osvout.load_validator(args.schema)
    by_cve = convert(args.sources, args.as_release)
    records = [build_record(cve, fixes, args.timestamp) for cve, fixes in sorted(by_cve.items())]
    n = osvout.write_records(args.outdir, "Alpine", records, validator)
    entries = sum(len(r["affected"]) for r in records)
    print(f"wrote {n} Alpine records ({entries} affected entries) to "
          f"{os.path.join(args.outdir, 'Alpine')}", file=sys.stderr)


if __name__ == "__main__":
    main()
