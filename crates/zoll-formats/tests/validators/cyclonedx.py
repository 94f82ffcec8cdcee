# Validates a CycloneDX 1.6 JSON document (argv[1]) with the official library; exit 1 with the messages when invalid.
import sys
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
text = open(sys.argv[1], encoding="utf-8").read()
errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text, all_errors=True)
if errors is not None:
    errors = list(errors) if not hasattr(errors, "data") else [errors]
    if errors:
        for e in errors:
            print(e, file=sys.stderr)
        sys.exit(1)
