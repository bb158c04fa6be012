// The API fails closed: without NODE_ENV=development|test or ASTRIX_SANDBOX=true it refuses to start
// without real secrets. `pnpm start` and `pnpm cli` are how newcomers run it locally, so when the
// operator said nothing (neither variable set) they opt in to the sandbox themselves, loudly.

/** Returns the environment to run with; warns on stderr (stdout may be captured, e.g. dev-token). */
export function withLocalOptIn(env, who) {
  if (env.NODE_ENV || env.ASTRIX_SANDBOX) return env;
  process.stderr.write(
    `WARNING (${who}): NODE_ENV is not set, so running as a local sandbox with ASTRIX_SANDBOX=true: ` +
      'the public development JWT secret, the fake Stripe and webhooks to private networks are allowed. ' +
      'Set NODE_ENV=production and real secrets to run for real (docs/security.md).\n',
  );
  return { ...env, ASTRIX_SANDBOX: 'true' };
}

/** Whether the environment runs the local defaults (demo data may be seeded). */
export function isLocal(env) {
  if (env.NODE_ENV === 'production') return false;
  const sandbox = (env.ASTRIX_SANDBOX ?? '').trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(sandbox)) return true;
  if (['false', '0', 'no', 'off'].includes(sandbox)) return false;
  return env.NODE_ENV === 'development' || env.NODE_ENV === 'test';
}
