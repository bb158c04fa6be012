// Node flags the API process runs with (pnpm start, the benches; the image's entry point passes the
// same). --experimental-async-context-frame (Node 22.7+, the default from Node 24) carries
// AsyncLocalStorage (the request-bound logger's context) on V8's continuation data instead of
// promise hooks, which otherwise tax every promise of the process, the entitlement checks' included
// (docs/performance.md, issue #25). Flags this Node does not know are left out.
const API_NODE_FLAGS = ['--experimental-async-context-frame'];

export function apiNodeFlags() {
  return API_NODE_FLAGS.filter((flag) => process.allowedNodeEnvironmentFlags.has(flag));
}
