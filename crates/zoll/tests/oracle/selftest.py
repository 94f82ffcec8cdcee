#!/usr/bin/env python3
"""Self-tests of the oracle scripts: python selftest.py [-v]

Synthetic OSV records exercise every branch of the evaluation; the version
comparators are checked against shared/data/version-order; the converters run
on shared/data and their output is validated against the OSV schema; the SARIF
validator must accept a minimal log and reject a broken one.  Tests that need
shared/data skip with a message when it is absent (ZOLL_SHARED_DATA overrides
its location, default ../../../../../shared/data from this folder).
"""

import contextlib
import glob
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import expected as ex  # noqa: E402
import validate_sarif  # noqa: E402

DATA = os.environ.get("ZOLL_SHARED_DATA",
                      os.path.normpath(os.path.join(HERE, "..", "..", "..", "..", "..",
                                                    "shared", "data")))


def need_data(*parts):
    path = os.path.join(DATA, *parts)
    if not os.path.exists(path):
        raise unittest.SkipTest(f"shared data absent: {path}")
    return path


def load(*parts):
    with open(os.path.join(*parts), encoding="utf-8") as fh:
        return json.load(fh)


def rec(rid, eco, name, ranges=None, versions=None, **extra):
    aff = {"package": {"ecosystem": eco, "name": name}}
    if ranges is not None:
        aff["ranges"] = ranges
    if versions is not None:
        aff["versions"] = versions
    return dict({"id": rid, "modified": "2024-01-01T00:00:00Z", "affected": [aff]}, **extra)


def rng(*events, kind="ECOSYSTEM"):
    return {"type": kind, "events": [dict([e]) for e in events]}


def run(packages, records, distro=None):
    sbom = {"distro": distro or {}, "packages": packages}
    with contextlib.redirect_stderr(io.StringIO()) as err:
        pairs = ex.compute(sbom, records)
    return sorted(pairs), err.getvalue()


def pkg(ptype, name, version, purl, **extra):
    return dict({"type": ptype, "name": name, "version": version, "purl": purl}, **extra)


class Evaluation(unittest.TestCase):
    P = pkg("python", "Foo.Bar", "1.5", "pkg:pypi/foo-bar@1.5")

    def ids(self, *records, package=None):
        pairs, _err = run([package or self.P], list(records))
        return [rid for _purl, rid in pairs]

    def test_introduced_fixed(self):
        r = rng(("introduced", "1.0"), ("fixed", "2.0"))
        self.assertEqual(self.ids(rec("A", "PyPI", "foo_bar", [r])), ["A"])
        r = rng(("introduced", "1.0"), ("fixed", "1.5"))
        self.assertEqual(self.ids(rec("A", "PyPI", "foo_bar", [r])), [])
        r = rng(("introduced", "1.6"))
        self.assertEqual(self.ids(rec("A", "PyPI", "foo_bar", [r])), [])

    def test_zero_and_unsorted_events(self):
        r = rng(("fixed", "3.0"), ("introduced", "2.5"), ("fixed", "1.6"), ("introduced", "0"))
        self.assertEqual(self.ids(rec("A", "PyPI", "foo-bar", [r])), ["A"])

    def test_last_affected(self):
        on = rng(("introduced", "0"), ("last_affected", "1.5"))
        off = rng(("introduced", "0"), ("last_affected", "1.4.9"))
        self.assertEqual(self.ids(rec("A", "PyPI", "foo-bar", [on]),
                                  rec("B", "PyPI", "foo-bar", [off])), ["A"])

    def test_limit(self):
        below = rng(("introduced", "0"), ("limit", "2.0"))
        above = rng(("introduced", "0"), ("limit", "1.5"))
        star = rng(("introduced", "1.0"), ("limit", "*"))
        self.assertEqual(self.ids(rec("A", "PyPI", "foo-bar", [below]),
                                  rec("B", "PyPI", "foo-bar", [above]),
                                  rec("C", "PyPI", "foo-bar", [star])), ["A", "C"])

    def test_multiple_ranges_and_entries(self):
        miss = rng(("introduced", "0"), ("fixed", "1.0"))
        hit = rng(("introduced", "1.4"), ("fixed", "1.6"))
        r = rec("A", "PyPI", "foo-bar", [miss, hit])
        self.assertEqual(self.ids(r), ["A"])
        r2 = rec("B", "PyPI", "foo-bar", [miss])
        r2["affected"].append({"package": {"ecosystem": "PyPI", "name": "FOO.bar"},
                               "ranges": [hit]})
        self.assertEqual(self.ids(r2), ["B"])

    def test_versions_list_and_git_ignored(self):
        git = {"type": "GIT", "repo": "https://example.invalid/x",
               "events": [{"introduced": "0"}]}
        self.assertEqual(self.ids(rec("A", "PyPI", "foo-bar", [git], versions=["1.5"]),
                                  rec("B", "PyPI", "foo-bar", [git], versions=["1.50"])), ["A"])

    def test_withdrawn_and_other_names(self):
        r = rng(("introduced", "0"))
        self.assertEqual(self.ids(rec("A", "PyPI", "foo-bar", [r], withdrawn="2024-01-02T00:00:00Z"),
                                  rec("B", "PyPI", "foo-baz", [r]),
                                  rec("C", "npm", "foo-bar", [r])), [])

    def test_unparseable_version_still_matches_versions(self):
        p = pkg("python", "x", "not a version!", "pkg:pypi/x@bad")
        r = rng(("introduced", "0"))
        pairs, err = run([p], [rec("A", "PyPI", "x", [r]),
                               rec("B", "PyPI", "x", [], versions=["not a version!"])])
        self.assertEqual([rid for _p, rid in pairs], ["B"])
        self.assertIn("not a PEP 440 version", err)

    def test_unparseable_event_skips_range(self):
        bad = rng(("introduced", "0"), ("fixed", "???"))
        good = rng(("introduced", "1.0"))
        self.assertEqual(self.ids(rec("A", "PyPI", "foo-bar", [bad])), [])
        self.assertEqual(self.ids(rec("A", "PyPI", "foo-bar", [bad, good])), ["A"])

    def test_duplicate_ids_latest_modified_wins(self):
        old = rec("A", "PyPI", "foo-bar", [rng(("introduced", "0"))],
                  modified="2020-01-01T00:00:00Z")
        new = rec("A", "PyPI", "foo-bar", [rng(("introduced", "0"), ("fixed", "1.0"))],
                  modified="2024-01-01T00:00:00Z")
        with tempfile.TemporaryDirectory() as tmp:
            for i, r in enumerate((new, old)):
                with open(os.path.join(tmp, f"{i}.json"), "w") as fh:
                    json.dump(r, fh)
            with contextlib.redirect_stderr(io.StringIO()):
                records = ex.load_records([tmp])
        self.assertEqual(len(records), 1)
        self.assertEqual(self.ids(*records), [])

    def test_debian_source_and_exact_ecosystem(self):
        distro = {"id": "debian", "version_id": "12"}
        p = pkg("deb", "libssl3", "3.0.9-1+b1", "pkg:deb/debian/libssl3@3.0.9-1%2Bb1",
                source={"name": "openssl", "version": "3.0.9-1"})
        fixed = rng(("introduced", "0"), ("fixed", "3.0.9-1"))
        later = rng(("introduced", "0"), ("fixed", "3.0.11-1~deb12u2"))
        records = [rec("D1", "Debian:12", "openssl", [later]),
                   rec("D2", "Debian:12", "openssl", [fixed]),  # source version is 3.0.9-1
                   rec("D3", "Debian:11", "openssl", [later]),
                   rec("D4", "Debian", "openssl", [later]),
                   rec("D5", "Debian:12", "libssl3", [later])]
        pairs, _ = run([p], records, distro)
        self.assertEqual([rid for _p, rid in pairs], ["D1"])

    def test_alpine_ecosystem(self):
        distro = {"id": "alpine", "version_id": "3.10.4"}
        p = pkg("apk", "libcrypto1.1", "1.1.1d-r2", "pkg:apk/alpine/libcrypto1.1@1.1.1d-r2",
                source={"name": "openssl"})
        r = rng(("introduced", "0"), ("fixed", "1.1.1d-r3"))
        pairs, _ = run([p], [rec("A", "Alpine:v3.10", "openssl", [r]),
                             rec("B", "Alpine:v3.11", "openssl", [r])], distro)
        self.assertEqual([rid for _p, rid in pairs], ["A"])

    def test_language_names(self):
        r = rng(("introduced", "0"), kind="SEMVER")
        e = rng(("introduced", "0"))
        cases = [
            (pkg("npm", "core", "7.0.0", "pkg:npm/%40babel/core@7.0.0"), "npm", "@babel/core", r),
            (pkg("maven", "log4j-core", "2.14.1",
                 "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"),
             "Maven", "org.apache.logging.log4j:log4j-core", e),
            (pkg("composer", "guzzlehttp/guzzle", "v7.4.0",
                 "pkg:composer/guzzlehttp/guzzle@v7.4.0"), "Packagist", "guzzlehttp/guzzle", e),
            (pkg("nuget", "Newtonsoft.Json", "12.0.1", "pkg:nuget/Newtonsoft.Json@12.0.1"),
             "NuGet", "newtonsoft.json", e),
            (pkg("go-module", "golang.org/x/text", "v0.3.7",
                 "pkg:golang/golang.org/x/text@v0.3.7"), "Go", "golang.org/x/text", r),
            (pkg("go-module", "stdlib", "1.19.8", "pkg:golang/stdlib@1.19.8"), "Go", "stdlib", r),
            (pkg("cargo", "time", "0.1.43", "pkg:cargo/time@0.1.43"), "crates.io", "time", r),
            (pkg("gem", "rack", "2.2.3", "pkg:gem/rack@2.2.3"), "RubyGems", "rack", e),
        ]
        for p, eco, name, rr in cases:
            with self.subTest(eco=eco):
                self.assertEqual(self.ids(rec("A", eco, name, [rr]), package=p), ["A"])

    def test_go_versions_without_v(self):
        p = pkg("go-module", "golang.org/x/net", "v0.7.0", "pkg:golang/golang.org/x/net@v0.7.0")
        r = rng(("introduced", "0"), ("fixed", "0.7.0"), kind="SEMVER")
        self.assertEqual(self.ids(rec("A", "Go", "golang.org/x/net", [r]),
                                  rec("B", "Go", "golang.org/x/net", [], versions=["0.7.0"]),
                                  package=p), ["B"])


VECTOR = re.compile(r"^(.*?) ([<=>]) (.*)$")
# Vectors univers gets wrong; documented in README.md.
KNOWN_MAVEN_DEVIATIONS = {"1release = 1", "1RELEASE = 1", "1RELeaSE = 1", "1-1 = 1-ga-1"}


class VersionOrder(unittest.TestCase):
    def check(self, fname, scheme, skip_unparseable=False, known=()):
        path = need_data("version-order", fname)
        checked = 0
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
        for line in lines:
            line = line.strip()
            if not line or line.startswith(("#", "//")):
                continue
            m = VECTOR.match(line)
            a, op, b = m.groups()
            if line in known:
                continue
            try:
                ka, kb = scheme.parse(a), scheme.parse(b)
            except ex.Unparseable:
                if skip_unparseable:
                    continue
                raise
            got = scheme.cmp(ka, kb)
            self.assertEqual(got, {"<": -1, "=": 0, ">": 1}[op], line)
            checked += 1
        self.assertGreater(checked, 0)

    def test_debian(self):
        self.check("debian-versions.txt", ex.ECOSYSTEM_SCHEMES["Debian"])

    def test_pypi(self):
        self.check("pypi-versions.txt", ex.ECOSYSTEM_SCHEMES["PyPI"], skip_unparseable=True)

    def test_semver(self):
        self.check("semver-versions.txt", ex.SEMVER)

    def test_alpine(self):
        self.check("alpine-versions.txt", ex.ECOSYSTEM_SCHEMES["Alpine"], skip_unparseable=True)

    def test_maven(self):
        self.check("maven-versions.txt", ex.ECOSYSTEM_SCHEMES["Maven"],
                   known=KNOWN_MAVEN_DEVIATIONS)

    def test_nuget(self):
        self.check("nuget-versions.txt", ex.ECOSYSTEM_SCHEMES["NuGet"])

    def test_packagist(self):
        self.check("packagist-versions.txt", ex.ECOSYSTEM_SCHEMES["Packagist"])

    def test_rubygems(self):
        self.check("rubygems-versions.txt", ex.ECOSYSTEM_SCHEMES["RubyGems"],
                   skip_unparseable=True)


class Converters(unittest.TestCase):
    def run_script(self, *args):
        return subprocess.run([sys.executable, *args], capture_output=True, text=True,
                              check=True, cwd=HERE)

    def test_convert_and_validate(self):
        schema = need_data("osv-schema.json")
        with tempfile.TemporaryDirectory() as out:
            self.run_script("alpine_to_osv.py", "--schema", schema, out,
                            need_data("alpine-secdb", "v3.10"), need_data("alpine-secdb", "v3.11"),
                            need_data("alpine-secdb-json"))
            self.run_script("debian_to_osv.py", "--schema", schema, out,
                            need_data("debian-tracker"))
            alpine = load(out, "Alpine", "ALPINE-CVE-2019-1551.json")
            self.assertEqual(alpine["upstream"], ["CVE-2019-1551"])
            ecos = {a["package"]["ecosystem"] for a in alpine["affected"]}
            self.assertIn("Alpine:v3.11", ecos)
            self.assertIn("Alpine:v3.20", ecos)
            dsa = load(out, "Debian", "DSA-5532-1.json")
            self.assertEqual(dsa["upstream"], ["DEBIAN-CVE-2023-5363", "CVE-2023-5363"])
            cve = load(out, "Debian", "DEBIAN-CVE-2023-4641.json")
            self.assertEqual(cve["affected"][0]["package"]["name"], "shadow")
            self.assertEqual(cve["affected"][0]["ranges"][0]["events"], [{"introduced": "0"}])
            self.assertFalse(os.path.exists(os.path.join(out, "Debian",
                                                         "DEBIAN-CVE-2023-7104.json")))
            self.assertGreater(len(glob.glob(os.path.join(out, "Alpine", "*.json"))), 2000)


class Sarif(unittest.TestCase):
    OK = {"version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "zoll", "rules": [{"id": "CVE-2023-5363"}]}},
        "results": [{"ruleId": "CVE-2023-5363", "level": "error",
                     "message": {"text": "openssl is affected"},
                     "locations": [{"physicalLocation": {
                         "artifactLocation": {"uri": "var/lib/dpkg/status"}}}]}]}]}

    def test_valid_and_broken(self):
        val = validate_sarif.validator()
        self.assertEqual(validate_sarif.errors_of(self.OK, val), [])
        broken = json.loads(json.dumps(self.OK))
        broken["version"] = "2.0.0"
        broken["runs"][0]["results"][0]["level"] = "fatal"
        del broken["runs"][0]["tool"]["driver"]["name"]
        errs = validate_sarif.errors_of(broken, val)
        self.assertEqual(len(errs), 3, errs)


if __name__ == "__main__":
    unittest.main()
