#!/usr/bin/env bash
# Builds @astrix/pricing, then prices one million invoice lines on one core.
# Usage: tools/bench/pricing/run.sh [lines]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
pnpm --dir "$root" --filter @astrix/pricing build >/dev/null
pin=()
if command -v taskset >/dev/null; then pin=(taskset -c 0); fi # one core, as the target is stated
exec "${pin[@]}" node "$root/tools/bench/pricing/bench.js" "$@"
