# Validates an SPDX 2.3 JSON document (argv[1]) with the official library; exit 1 with the messages when invalid.
import sys
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document
doc = parse_file(sys.argv[1])
messages = validate_full_spdx_document(doc, "SPDX-2.3")
for m in messages:
    print(m.validation_message, file=sys.stderr)
sys.exit(1 if messages else 0)
