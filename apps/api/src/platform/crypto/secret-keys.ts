/**
 * `WEBHOOK_SECRET_KEYS`: the AES-256 keys that encrypt outbound webhook signing secrets at rest, as
 * `id:base64key,id:base64key,…`. The first key encrypts; every key listed decrypts. Rotation: put a
 * new key at the end, then first once every process has it; re-encrypt (`pnpm cli webhooks
 * reencrypt-secrets`, or lazily per endpoint on its next secret rotation); then drop the old key.
 * See docs/runbooks/secrets.md.
 */
export interface SecretKey {
  id: string;
  key: Buffer;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const KEY_BYTES = 32;

/** Parses the variable; throws a message naming it and the bad entry (never the key material). */
export function parseSecretKeys(raw: string, variable = 'WEBHOOK_SECRET_KEYS'): SecretKey[] {
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  if (entries.length === 0) throw new Error(`${variable} must list at least one key as id:base64key`);
  const keys: SecretKey[] = [];
  entries.forEach((entry, index) => {
    const separator = entry.indexOf(':');
    const id = separator > 0 ? entry.slice(0, separator) : '';
    const material = separator > 0 ? entry.slice(separator + 1) : '';
    if (!KEY_ID.test(id)) {
      throw new Error(
        `${variable}: entry ${index + 1} must be id:base64key with an id of 1-32 letters, digits, _ or -`,
      );
    }
    const key = Buffer.from(material, 'base64');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(material) || key.length !== KEY_BYTES) {
      throw new Error(
        `${variable}: key "${id}" must be ${KEY_BYTES} random bytes in base64 (e.g. openssl rand -base64 32)`,
      );
    }
    if (keys.some((other) => other.id === id)) throw new Error(`${variable}: key id "${id}" is listed twice`);
    keys.push({ id, key });
  });
  return keys;
}
