import { createHmac } from 'node:crypto';
import { toUnixSeconds } from './stripe-fields';

/** Stripe's current signature scheme: HMAC-SHA256 over `${timestamp}.${payload}`, hex encoded. */
const SIGNATURE_SCHEME = 'v1';

export function computeWebhookSignature(timestampSeconds: number, payload: string, secret: string): string {
  return createHmac('sha256', secret).update(`${timestampSeconds}.${payload}`, 'utf8').digest('hex');
}

/**
 * Builds a `Stripe-Signature` header (`t=<unix seconds>,v1=<signature>`) for a webhook body, the
 * way Stripe signs deliveries. Used by the fake server and by tests; verification stays with the
 * SDK (`verifyWebhook`).
 */
export function signWebhookPayload(payload: string, secret: string, signedAt: Date = new Date()): string {
  const timestampSeconds = toUnixSeconds(signedAt);
  return `t=${timestampSeconds},${SIGNATURE_SCHEME}=${computeWebhookSignature(timestampSeconds, payload, secret)}`;
}

export interface ParsedSignatureHeader {
  timestampSeconds: number;
  signatures: string[];
}

/** Splits a `Stripe-Signature` header; null when it has no timestamp or no v1 signature. */
export function parseSignatureHeader(header: string): ParsedSignatureHeader | null {
  let timestampSeconds: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const separator = part.indexOf('=');
    const key = part.slice(0, separator).trim();
    const value = part.slice(separator + 1).trim();
    if (key === 't' && /^\d+$/.test(value)) timestampSeconds = Number(value);
    if (key === SIGNATURE_SCHEME && value !== '') signatures.push(value);
  }
  return timestampSeconds === null || signatures.length === 0 ? null : { timestampSeconds, signatures };
}
