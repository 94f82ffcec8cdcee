#!/usr/bin/env python3
"""Convert the Debian security tracker sample into OSV records, modelled on osv.dev.

Usage:
    debian_to_osv.py [--timestamp RFC3339] [--schema osv-schema.json] OUTDIR TRACKERDIR

TRACKERDIR is shared/data/debian-tracker (vuln-list-debian's JSON rendering of
the tracker: CVE/<year>/CVE-*.json, DSA/DSA-*.json, source/bookworm/**.json,
distributions.json).  Records are written to OUTDIR/Debian/<ID>.json.

Decisions
=========

Two kinds of records, as osv.dev publishes them:

1. DEBIAN-CVE-YYYY-NNNN, one per CVE file (osv.dev: vulnfeeds/cmd/converters/
   debian/main.go).  `upstream: [CVE id]`, no `aliases`.  Only `Debian:12`
   (bookworm) entries: the sample has bookworm's source versions only, which the
   inheritance rule below needs.  One `affected` entry per SOURCE package name.
   `details` = the tracker's description without its outer ()/[]; references =
   the tracker page; no severity (osv.dev copies NVD's, which we do not have).

   bookworm's status for a (CVE, package), first rule that applies:
   a. an annotation with "Release": "bookworm" in the CVE file is bookworm's own
      status;
   b. else a DSA of the sample that names the CVE ({CVE-...} xref) and has a
      "[bookworm] - pkg V" line: fixed in V.  The tracker itself works this
      way: DSA/list lines are per-release fixes for every CVE the DSA names,
      and CVE/list carries no bookworm line for them (e.g. CVE-2023-0286 has
      only the xref {DSA-5343-1 ...});
   c. else the annotation without Release (unstable's), inherited per the
      README: unstable "fixed V" counts for bookworm when bookworm's version
      (the Version of source/bookworm/.../<pkg>.json) is >= V by
      `dpkg --compare-versions`; when bookworm's version is lower, bookworm is
      still vulnerable and gets no fix ("open", as the tracker shows it).  When
      the sample has no bookworm stanza for the package (bash, zlib, e2fsprogs,
      ...) the fix V is kept: for every installed version below V the result is
      the same, and we cannot tell the release has no such package.
   Status -> OSV: fixed V -> ranges [{introduced 0}, {fixed V}] (fixed "0" means
   not affected, as in osv.dev); unfixed / no-dsa / postponed / ignored (and
   "open" from rule c) -> [{introduced 0}] only; not-affected / removed -> the
   package is not listed.  A CVE with no listed package (TODO-only records,
   CVE-2022-41409, CVE-2023-7104) is not written, as osv.dev skips records
   without affected entries.

   `affected[].ecosystem_specific.urgency` = the tracker severity: the
   bookworm annotation's "Severity", else the unstable annotation's, else
   "not yet assigned" (the tracker's word for none; osv.dev copies the
   tracker's per-release urgency into the same field).

2. DSA-NNNN-N, one per DSA file (osv.dev: vulnfeeds/cmd/converters/
   dsa-dla-dtsa/main.go).  `upstream` lists, for every CVE of the DSA's xref,
   "DEBIAN-<CVE>" then "<CVE>", exactly as osv.dev does; no `aliases`, no
   `related`.  `summary` = "pkg - security update"; `published` = `modified`
   = the DSA's date at 00:00:00Z (osv.dev refines `modified` from webwml's git
   history, which we do not have).  One affected entry per release line:
   ecosystem "Debian:<major>" from distributions.json, so a DSA also carries
   its bullseye fix as `Debian:11` (a Debian 12 image must not match it);
   "<not-affected>" lines are skipped, fixed V -> [{introduced 0}, {fixed V}],
   unfixed -> [{introduced 0}].  No ecosystem_specific (osv.dev sets none).
   Reference: https://www.debian.org/security/<year>/dsa-NNNN.

Other fields: schema_version "1.7.5"; DEBIAN-CVE records get `published` =
`modified` = --timestamp (default osvout.DEFAULT_TIMESTAMP; osv.dev takes them
from NVD).  The package name is always the Debian SOURCE package name.  With
--schema every record is validated with `jsonschema` before it is written.
"""

import argparse
import datetime
import functools
import glob
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import osvout  # noqa: E402

RELEASE = "bookworm"
OPEN_KINDS = {"unfixed", "no-dsa", "postponed", "ignored"}
SKIP_KINDS = {"not-affected", "removed"}
NO_URGENCY = "not yet assigned"
DSA_HEADER = re.compile(r"^\[(\d{1,2} \w{3} \d{4})\]\s+(\S+)\s*(.*)$")


@functools.lru_cache(maxsize=None)
def dpkg_ge(a, b):
    """a >= b in Debian version order, by dpkg itself."""
    return subprocess.run(["dpkg", "--compare-versions", a, "ge", b],
                          check=False).returncode == 0


def load_json(path):
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def load_release_majors(tracker):
    majors = {}
    for codename, info in load_json(os.path.join(tracker, "distributions.json")).items():
        if info.get("major-version"):
            majors[codename] = info["major-version"]
    return majors


def load_bookworm_versions(tracker):
    versions = {}
    for path in sorted(glob.glob(os.path.join(tracker, "source", RELEASE, "**", "*.json"),
                             recursive=True)):
        doc = load_json(path)
        for stanza in doc if isinstance(doc, list) else [doc]:
            name = stanza["Package"][0] if isinstance(stanza["Package"], list) else stanza["Package"]
            ver = stanza["Version"][0] if isinstance(stanza["Version"], list) else stanza["Version"]
            if name in versions and dpkg_ge(versions[name], ver):
                continue  # several stanzas: keep the newest
            versions[name] = ver
    return versions


def package_annotations(doc):
    return [a for a in doc.get("Annotations") or [] if a.get("Type") == "package"]


def xref_cves(doc):
    cves = []
    for a in doc.get("Annotations") or []:
        if a.get("Type") == "xref":
            cves.extend(b for b in a.get("Bugs") or [] if b.startswith("CVE-"))
    return cves


def strip_outer(text):
    text = (text or "").strip()
    if len(text) >= 2 and (text[0], text[-1]) in {("(", ")"), ("[", "]")}:
        return text[1:-1].strip()
    return text


def dsa_date(header, path):
    m = DSA_HEADER.match(header.get("Original", ""))
    if not m:
        raise SystemExit(f"{path}: cannot read the DSA date from {header.get('Original')!r}")
    day = datetime.datetime.strptime(m.group(1), "%d %b %Y")
    return day.strftime("%Y-%m-%dT00:00:00Z"), day.year


def ranges_for(kind, version):
    """OSV ranges for a tracker status, or None when not affected."""
    if kind == "fixed":
        if not version:
            raise ValueError("fixed without a version")
        if version == "0":
            return None
        return [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": version}]}]
    if kind in OPEN_KINDS or kind == "open":
        return [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]
    if kind in SKIP_KINDS:
        return None
    raise ValueError(f"unknown annotation kind {kind!r}")


def load_dsas(tracker):
    dsas = []
    for path in sorted(glob.glob(os.path.join(tracker, "DSA", "*.json"))):
        doc = load_json(path)
        dsas.append((path, doc))
    return dsas


def dsa_bookworm_fixes(dsas):
    """{(CVE, package): (fixed version, DSA id)} from the DSAs' bookworm lines."""
    fixes = {}
    for _path, doc in dsas:
        for cve in xref_cves(doc):
            for a in package_annotations(doc):
                if a.get("Release") == RELEASE and a.get("Kind") == "fixed":
                    fixes[(cve, a["Package"])] = (a["Version"], doc["Header"]["ID"])
    return fixes


def bookworm_status(cve, pkg, annotations, dsa_fixes, bookworm_versions):
    """(kind, version, severity annotation, rule) of bookworm for one package."""
    own = [a for a in annotations if a.get("Release") == RELEASE]
    unstable = [a for a in annotations if not a.get("Release")]
    if own:
        a = own[0]
        return a["Kind"], a.get("Version"), a.get("Severity") or (
            unstable[0].get("Severity") if unstable else None), "bookworm"
    severity = unstable[0].get("Severity") if unstable else None
    if (cve, pkg) in dsa_fixes:
        version, dsa = dsa_fixes[(cve, pkg)]
        return "fixed", version, severity, dsa
    if not unstable:
        return None, None, None, "no unstable or bookworm annotation"
    a = unstable[0]
    kind, version = a["Kind"], a.get("Version")
    if kind == "fixed" and version and version != "0":
        have = bookworm_versions.get(pkg)
        if have is not None and not dpkg_ge(have, version):
            return "open", None, severity, f"unstable fixed {version} > bookworm {have}"
        return "fixed", version, severity, "inherited from unstable"
    return kind, version, severity, "inherited from unstable"


def convert_cves(tracker, dsa_fixes, bookworm_versions, timestamp):
    records = []
    for path in sorted(glob.glob(os.path.join(tracker, "CVE", "*", "CVE-*.json"))):
        doc = load_json(path)
        cve = doc["Header"]["ID"]
        by_pkg = {}
        for a in package_annotations(doc):
            by_pkg.setdefault(a["Package"], []).append(a)
        affected = []
        for pkg in sorted(by_pkg):
            kind, version, severity, _rule = bookworm_status(
                cve, pkg, by_pkg[pkg], dsa_fixes, bookworm_versions)
            if kind is None:
                continue
            ranges = ranges_for(kind, version)
            if ranges is None:
                continue
            affected.append({
                "package": {"ecosystem": "Debian:12", "name": pkg,
                            "purl": f"pkg:deb/debian/{pkg}?arch=source"},
                "ranges": ranges,
                "ecosystem_specific": {"urgency": severity or NO_URGENCY},
            })
        if not affected:
            osvout.warn(f"{cve}: no bookworm package affected, no record written")
            continue
        records.append({
            "schema_version": osvout.SCHEMA_VERSION,
            "id": f"DEBIAN-{cve}",
            "modified": timestamp,
            "published": timestamp,
            "upstream": [cve],
            "details": strip_outer(doc["Header"].get("Description")),
            "affected": affected,
            "references": [{"type": "ADVISORY",
                            "url": f"https://security-tracker.debian.org/tracker/{cve}"}],
        })
    return records


def convert_dsas(dsas, majors):
    records = []
    for path, doc in dsas:
        header = doc["Header"]
        dsa_id = header["ID"]
        date, year = dsa_date(header, path)
        upstream = []
        for cve in xref_cves(doc):
            upstream += [f"DEBIAN-{cve}", cve]
        affected = []
        for a in package_annotations(doc):
            release = a.get("Release")
            if release not in majors:
                osvout.warn(f"{dsa_id}: release {release!r} has no Debian version, skipped")
                continue
            ranges = ranges_for(a["Kind"], a.get("Version"))
            if ranges is None:
                continue
            affected.append({
                "package": {"ecosystem": f"Debian:{majors[release]}", "name": a["Package"],
                            "purl": f"pkg:deb/debian/{a['Package']}?arch=source"},
                "ranges": ranges,
            })
        if not affected:
            osvout.warn(f"{dsa_id}: no affected release, no record written")
            continue
        number = dsa_id.split("-")[1]
        rec = {
            "schema_version": osvout.SCHEMA_VERSION,
            "id": dsa_id,
            "modified": date,
            "published": date,
        }
        if upstream:
            rec["upstream"] = upstream
        rec["summary"] = header.get("Description", "").strip()
        rec["affected"] = affected
        rec["references"] = [{"type": "ADVISORY",
                              "url": f"https://www.debian.org/security/{year}/dsa-{number}"}]
        records.append(rec)
    return records


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("tracker", metavar="TRACKERDIR")
    ap.add_argument("--timestamp", default=osvout.DEFAULT_TIMESTAMP,
                    type=osvout.check_timestamp,
                    help="RFC 3339 UTC time for the DEBIAN-CVE records' modified/published")
    ap.add_argument("--schema", help="validate every record against this OSV JSON schema")
    args = ap.parse_args(argv)

    validator = osvout.load_validator(args.schema)
    majors = load_release_majors(args.tracker)
    if majors.get(RELEASE) != "12":
        raise SystemExit(f"distributions.json does not map {RELEASE} to 12")
    bookworm_versions = load_bookworm_versions(args.tracker)
    dsas = load_dsas(args.tracker)
    records = convert_cves(args.tracker, dsa_bookworm_fixes(dsas), bookworm_versions,
                           args.timestamp)
    records += convert_dsas(dsas, majors)
    n = osvout.write_records(args.outdir, "Debian", records, validator)
    print(f"wrote {n} Debian records to {os.path.join(args.outdir, 'Debian')}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
