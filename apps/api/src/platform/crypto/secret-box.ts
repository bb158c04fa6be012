import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SecretKey } from './secret-keys';

/**
 * AES-256-GCM sealing of small secrets stored in the database (outbound webhook signing secrets).
 * A sealed value reads `sealed:v1:<key id>:<base64url iv>:<base64url tag>:<base64url ciphertext>`,
 * so it names the key that opens it and can never be mistaken for a plaintext secret. The row's id is
 * bound in as additional authenticated data: a sealed value copied onto another row does not open.
 * Only Node's crypto is called; nothing here is hand-made beyond the format.
 */
const PREFIX = 'sealed:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

export function isSealed(value: string): boolean {
  return value.startsWith(PREFIX);
}

/** The id of the key that sealed the value, or null for a plaintext (not yet encrypted) value. */
export function sealedKeyId(value: string): string | null {
  return isSealed(value) ? (value.slice(PREFIX.length).split(':')[0] ?? null) : null;
}

export class SecretBox {
  /** `keys[0]` seals; all of them open. */
  constructor(private readonly keys: readonly SecretKey[]) {
    if (keys.length === 0) throw new SecretBoxError('a secret box needs at least one key');
  }

  get currentKeyId(): string {
    return this.keys[0].id;
  }

  seal(plaintext: string, context: string): string {
    const { id, key } = this.keys[0];
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return `${PREFIX}${id}:${iv.toString('base64url')}:${tag.toString('base64url')}:${ciphertext.toString('base64url')}`;
  }

  /**
   * The plaintext of a sealed value. A value that is not sealed is returned as it is: rows written
   * before encryption at rest keep working until re-encrypted (dual read).
   */
  open(value: string, context: string): string {
    if (!isSealed(value)) return value;
    const [id, iv, tag, ciphertext, ...rest] = value.slice(PREFIX.length).split(':');
    if (!id || iv === undefined || tag === undefined || ciphertext === undefined || rest.length > 0)
      throw new SecretBoxError('sealed value is malformed');
    const entry = this.keys.find((candidate) => candidate.id === id);
    if (!entry)
      throw new SecretBoxError(`sealed with key "${id}", which WEBHOOK_SECRET_KEYS no longer lists`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', entry.key, Buffer.from(iv, 'base64url'), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([
        decipher.update(Buffer.from(ciphertext, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      throw new SecretBoxError(`sealed value does not open with key "${id}" (tampered or wrong key)`);
    }
  }

  /** Whether the value should be sealed again: plaintext, or sealed with a key other than the first. */
  needsResealing(value: string): boolean {
    return sealedKeyId(value) !== this.currentKeyId;
  }
}
