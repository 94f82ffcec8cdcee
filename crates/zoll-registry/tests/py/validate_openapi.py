"""Validate openapi.yaml itself, then every recorded admin API exchange against it.

usage: validate_openapi.py OPENAPI.yaml RECORDINGS.json
RECORDINGS is a list of {"method", "path" (the template, e.g. /orgs/{org}), "status", "body"}.
Fails (exit 1) on an invalid document, an exchange whose path/method/status the document does
not describe, or a body that does not match its schema.
"""
import json
import sys

import yaml
from jsonschema.validators import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource

spec_path, rec_path = sys.argv[1:3]
with open(spec_path) as f:
    spec = yaml.safe_load(f)
validate(spec)

registry = Registry().with_resource("urn:openapi", Resource.opaque(spec))


def resolve(node):
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        node = spec
        for part in ref[2:].split("/"):
            node = node[part]
    return node


def schema_for(path, method, status):
    item = spec["paths"].get(path)
    if item is None:
        raise SystemExit(f"undocumented path {path}")
    op = item.get(method.lower())
    if op is None:
        raise SystemExit(f"undocumented method {method} {path}")
    resp = op["responses"].get(str(status))
    if resp is None:
        raise SystemExit(f"undocumented status {status} for {method} {path}")
    resp = resolve(resp)
    content = resp.get("content", {}).get("application/json")
    return None if content is None else content["schema"]


def rebase(schema):
    """Turn local refs into refs against the registered document."""
    if isinstance(schema, dict):
        return {k: ("urn:openapi" + v if k == "$ref" and isinstance(v, str) and v.startswith("#/") else rebase(v)) for k, v in schema.items()}
    if isinstance(schema, list):
        return [rebase(x) for x in schema]
    return schema


with open(rec_path) as f:
    recordings = json.load(f)
failures = []
for r in recordings:
    schema = schema_for(r["path"], r["method"], r["status"])
    if schema is None:
        continue
    validator = Draft202012Validator(rebase(schema), registry=registry)
    errors = sorted(validator.iter_errors(r["body"]), key=str)
    if errors:
        failures.append(f'{r["method"]} {r["path"]} {r["status"]}: {errors[0].message}')
if failures:
    print("\n".join(failures))
    sys.exit(1)
print(f"{len(recordings)} exchanges match the document")
