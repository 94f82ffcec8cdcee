#!/usr/bin/env bash
# Benchmark the vulnerability database and `zoll scan`, and print the figures recorded in the
# README's performance table. Usage: bench/scan.sh [RUNS]   (default 5)
#
# - `zoll db update` from the shared OSV exports (crates.io, Go, PyPI all.zip: 8,158 advisories),
#   median of RUNS, and the index size next to the size of the JSON it was built from;
# - matching a 1,000-package SBOM (packages drawn from those exports, every one with advisories,
#   so each lookup does real range evaluation) with a warm page cache: hyperfine, whole command;
# - a cold `zoll scan` (no layer cache) of the debian-full docker archive next to a cold
#   `zoll sbom` of the same archive (median of RUNS each);
# - a rescan with the layer cache warm.
# No peer runs here: Trivy and Grype are not installable offline on this machine (their
# databases download from the internet), see the README.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
DATA=${ZOLL_SHARED_DATA:-../shared/data}
command -v /usr/bin/time >/dev/null || { echo "bench: GNU time is required: apt-get install time" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "bench: hyperfine is required: apt-get install hyperfine" >&2; exit 2; }
[ -d "$DATA/osv" ] || { echo "bench: the shared data is required at $DATA" >&2; exit 2; }

cargo build --release --quiet -p zoll
ZOLL=$PWD/target/release/zoll
IMG_JSON=$(cargo run --quiet -p zoll-testimages -- build debian-full)
ARCHIVE=$(jq -r '.[0].docker_archive // .docker_archive' <<<"$IMG_JSON")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# shellcheck source=bench/common.sh
. bench/common.sh   # the scripts cd to the repository root first

ZIPS=("$DATA/osv/crates.io/all.zip" "$DATA/osv/Go/all.zip" "$DATA/osv/PyPI/all.zip")
SRC=(); for z in "${ZIPS[@]}"; do SRC+=(--source "$z"); done
JSON_BYTES=$(for z in "${ZIPS[@]}"; do unzip -l "$z" | tail -1 | awk '{print $1}'; done | paste -sd+ | bc)
read -r us uk < <(measure "$ZOLL" db update -q --db-dir "$TMP/db" "${SRC[@]}")
DB_BYTES=$(stat -c %s "$TMP/db/osv.db")
ADV=$("$ZOLL" db status -f json --db-dir "$TMP/db" | jq .advisories)
printf 'db update: %s advisories in %ss (peak RSS %d MiB)\n' "$ADV" "$us" $((uk / 1024))
printf 'index size: %.1f MiB vs %.1f MiB of JSON (%.2f)\n' "$(echo "$DB_BYTES/1048576" | bc -l)" "$(echo "$JSON_BYTES/1048576" | bc -l)" "$(echo "$DB_BYTES/$JSON_BYTES" | bc -l)"

# A 1,000-package CycloneDX SBOM: packages named in the exports, at their first affected version.
python3 - "$TMP/sbom-1000.cdx.json" "${ZIPS[@]}" <<'PY'
import json, sys, zipfile, random
out, zips = sys.argv[1], sys.argv[2:]
types = {"PyPI": "pypi", "Go": "golang", "crates.io": "cargo"}
seen, comps = set(), []
for z in zips:
    with zipfile.ZipFile(z) as zf:
        for n in sorted(zf.namelist()):
            rec = json.loads(zf.read(n))
            for a in rec.get("affected", []):
                p = a.get("package", {}); eco = p.get("ecosystem"); name = p.get("name")
                vs = a.get("versions") or [e.get("introduced") for r in a.get("ranges", []) for e in r.get("events", []) if e.get("introduced") not in (None, "0")]
                if eco in types and name and vs and (eco, name) not in seen:
                    seen.add((eco, name))
                    purl_name = name if eco != "Go" else name
                    comps.append({"type": "library", "name": name, "version": vs[0],
                                  "purl": f"pkg:{types[eco]}/{purl_name}@{vs[0]}"})
random.Random(1).shuffle(comps)
doc = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": comps[:1000]}
json.dump(doc, open(out, "w"))
PY
"$ZOLL" scan -q --sbom "$TMP/sbom-1000.cdx.json" --db-dir "$TMP/db" -f json >"$TMP/m.json"
printf 'match input: %s packages, %s findings\n' "$(jq '.components|length' "$TMP/sbom-1000.cdx.json")" "$(jq '.findings|length' "$TMP/m.json")"
hyperfine -N -w 3 -r 20 --export-json "$TMP/match.json" "$ZOLL scan -q --sbom $TMP/sbom-1000.cdx.json --db-dir $TMP/db -f json" >/dev/null
printf 'match 1,000 packages, warm (whole command): %.1f ms (mean of 20)\n' "$(jq '.results[0].mean * 1000' "$TMP/match.json")"
# The matching phase alone (database lookups, range evaluation, merging, severity), as zoll -v logs it.
M=$(for _ in $(seq "$RUNS"); do
  "$ZOLL" scan -v --sbom "$TMP/sbom-1000.cdx.json" --db-dir "$TMP/db" -f json 2>&1 >/dev/null \
    | sed -n 's/.*matched .* in \([0-9.]*\) ms.*/\1/p'
done | median)
printf 'match 1,000 packages, warm (matching phase): %s ms (median of %s)\n' "$M" "$RUNS"

read -r ss _ < <(measure "$ZOLL" sbom "docker-archive:$ARCHIVE" -f json -q --no-cache)
read -r cs _ < <(measure "$ZOLL" scan "docker-archive:$ARCHIVE" -f json -q --no-cache --db-dir "$TMP/db")
printf 'cold: scan %ss vs sbom %ss (%.2fx)\n' "$cs" "$ss" "$(echo "$cs / $ss" | bc -l)"

"$ZOLL" scan "docker-archive:$ARCHIVE" -f json -q --cache-dir "$TMP/cache" --db-dir "$TMP/db" >/dev/null
hyperfine -N -w 3 -r 20 --export-json "$TMP/warm.json" "$ZOLL scan docker-archive:$ARCHIVE -f json -q --cache-dir $TMP/cache --db-dir $TMP/db" >/dev/null
printf 'warm rescan: %.1f ms (mean of 20)\n' "$(jq '.results[0].mean * 1000' "$TMP/warm.json")"
