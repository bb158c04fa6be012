#!/bin/sh
# The image's entry point: one process per container.
#   astrix api       the HTTP API (set WORKERS_ENABLED=false when workers run in their own containers)
#   astrix worker    queue workers and the outbox relay, no HTTP
#   astrix migrate   create the database if missing and apply migrations (advisory lock: replicas
#                    may all run it; one migrates, the others wait and find nothing to do)
#   astrix cli …     any operator command, e.g. `astrix cli books check`, `astrix cli backup create`
set -eu
dist="${ASTRIX_DIST:-/app/apps/api/dist}"
command="${1:-api}"
[ "$#" -gt 0 ] && shift
case "$command" in
  # The flags as tools/scripts/node-flags.mjs explains (the image's Node is 22).
  api) exec node --experimental-async-context-frame --max-semi-space-size=64 "$dist/main.js" "$@" ;;
  worker) exec node "$dist/worker.js" "$@" ;;
  migrate) exec node "$dist/cli.js" db migrate "$@" ;;
  cli) exec node "$dist/cli.js" "$@" ;;
  *)
    echo "usage: astrix api | worker | migrate | cli <command…> (got: $command)" >&2
    exit 64
    ;;
esac
