// Node flags the API process runs with (pnpm start, the benches; the image's entry point passes the
// same). --experimental-async-context-frame (Node 22.7+, the default from Node 24) carries
// AsyncLocalStorage (the request-bound logger's context) on V8's continuation data instead of
// promise hooks, which otherwise tax every promise of the process, the entitlement checks' included
// (docs/performance.md, issue #25). --max-semi-space-size=64 (MiB; V8's default tops out at 16) lets
// the young generation hold a few usage batches' garbage: at 60,000 events/s the API collected it
// every ~110 ms, each collection copying what the batches in flight still held; at 64 it collects
// about a quarter as often, for less than half the pause time in all (docs/performance.md, issue #25,
// twentieth session). The cost is up to 128 MiB more memory for the two semi-spaces.
// Flags this Node does not know are left out.
const API_NODE_FLAGS = ['--experimental-async-context-frame', '--max-semi-space-size=64'];

export function apiNodeFlags() {
  return API_NODE_FLAGS.filter((flag) => process.allowedNodeEnvironmentFlags.has(flag));
}
