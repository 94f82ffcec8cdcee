"""Shared helpers of the OSV converters (alpine_to_osv.py, debian_to_osv.py).

Stdlib only, except the optional schema check, which imports `jsonschema`.
"""

import json
import os
import re
import sys

SCHEMA_VERSION = "1.7.5"

# The sources carry no per-record dates we can trust (osv.dev takes
# `published` from NVD, which is not part of the test data).  A fixed default
# keeps the output byte-for-byte reproducible; --timestamp overrides it.
DEFAULT_TIMESTAMP = "2025-01-01T00:00:00Z"

_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")  # UTC, as the OSV schema wants


def check_timestamp(value):
    if not _RFC3339.match(value):
        raise SystemExit(f"not an RFC 3339 UTC timestamp (…Z): {value!r}")
    return value


def warn(msg):
    print(f"warning: {msg}", file=sys.stderr)


def load_validator(schema_path):
    """A Draft 2020-12 validator for the OSV schema at schema_path, or None."""
    if not schema_path:
        return None
    import jsonschema  # pinned in requirements.txt

    with open(schema_path, encoding="utf-8") as fh:
        schema = json.load(fh)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def write_records(outdir, subdir, records, validator=None):
    """Write each record to OUTDIR/SUBDIR/<id>.json; validate first if asked."""
    target = os.path.join(outdir, subdir)
    os.makedirs(target, exist_ok=True)
    failures = 0
    for rec in records:
        if validator is not None:
            errors = sorted(validator.iter_errors(rec), key=lambda e: list(e.path))
            for err in errors:
                failures += 1
                where = "/".join(str(p) for p in err.path)
                print(f"schema error in {rec['id']} at /{where}: {err.message}",
                      file=sys.stderr)
        path = os.path.join(target, rec["id"] + ".json")
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(rec, fh, indent=2, ensure_ascii=False)
            fh.write("\n")
    if failures:
        raise SystemExit(f"{failures} schema error(s)")
    return len(records)
