import type { UsageRejectionReason } from '@astrix/contracts';
import { parseInstant } from '../../../platform/http/instant';

/** A reported event that passed the shape checks. */
export interface ParsedUsageEvent {
  customerRef: string;
  featureId: string;
  quantity: number;
  occurredAt: Date;
  idempotencyKey: string;
  serviceId: string | null;
  properties: Record<string, string | number | boolean | null> | null;
  correctionOf: string | null;
}

export type ParseResult =
  { ok: true; event: ParsedUsageEvent } | { ok: false; reason: UsageRejectionReason; message: string };

export const FEATURE_ID_PATTERN = /^[a-z0-9][a-z0-9_.:-]{0,63}$/;
const MAX_REFERENCE = 200;
const MAX_QUANTITY = 1_000_000_000_000;
const MAX_PROPERTIES = 32;
const MAX_PROPERTY_NAME = 64;
const MAX_PROPERTY_VALUE = 256;
const FIELDS = new Set([
  'customerId',
  'featureId',
  'quantity',
  'timestamp',
  'idempotencyKey',
  'serviceId',
  'properties',
  'correctionOf',
]);

const invalid = (message: string): ParseResult => ({ ok: false, reason: 'invalid_event', message });

function reference(value: unknown): value is string {
  return (
    typeof value === 'string' && value.length > 0 && value.length <= MAX_REFERENCE && value.trim() === value
  );
}

/**
 * Checks one event by hand: this runs for every event of every batch, and a failure must name the
 * field without stopping the other events (a JSON schema would refuse the whole batch).
 */
export function parseUsageEvent(raw: unknown): ParseResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return invalid('an event must be an object');
  const input = raw as Record<string, unknown>;
  for (const field in input) {
    if (!FIELDS.has(field)) return invalid(`property ${field} is not allowed`);
  }
  const { customerId, featureId, timestamp, idempotencyKey } = input;
  if (!reference(customerId))
    return invalid(`customerId must be a non-empty string of at most ${MAX_REFERENCE} characters`);
  if (typeof featureId !== 'string' || !FEATURE_ID_PATTERN.test(featureId)) {
    return invalid('featureId must be a feature id (lower-case letters, digits, "_", ".", ":" or "-")');
  }
  if (!reference(idempotencyKey)) {
    return invalid(`idempotencyKey must be a non-empty string of at most ${MAX_REFERENCE} characters`);
  }
  const occurredAt =
    typeof timestamp === 'string'
      ? parseInstant(timestamp, { requireTime: true, requireOffset: true })
      : null;
  if (occurredAt === null) {
    return invalid('timestamp must be an ISO 8601 date-time with an offset, e.g. 2026-11-21T10:00:00Z');
  }

  const quantity = input.quantity === undefined ? 1 : input.quantity;
  if (typeof quantity !== 'number' || !Number.isSafeInteger(quantity) || Math.abs(quantity) > MAX_QUANTITY) {
    return invalid(`quantity must be a whole number of units between -${MAX_QUANTITY} and ${MAX_QUANTITY}`);
  }
  let correctionOf: string | null = null;
  if (input.correctionOf !== undefined && input.correctionOf !== null) {
    if (!reference(input.correctionOf))
      return invalid('correctionOf must be the idempotency key of the corrected event');
    correctionOf = input.correctionOf;
    if (quantity >= 0) {
      return {
        ok: false,
        reason: 'invalid_correction',
        message: 'a correction must have a negative quantity',
      };
    }
  } else if (quantity < 0) {
    return invalid('quantity must not be negative; a correction names the event it corrects in correctionOf');
  }
  let serviceId: string | null = null;
  if (input.serviceId !== undefined && input.serviceId !== null) {
    if (typeof input.serviceId !== 'string' || input.serviceId.length === 0 || input.serviceId.length > 64) {
      return invalid('serviceId must be a string of 1 to 64 characters');
    }
    serviceId = input.serviceId;
  }
  let properties: ParsedUsageEvent['properties'] = null;
  if (input.properties !== undefined && input.properties !== null) {
    const problem = propertiesProblem(input.properties);
    if (problem) return invalid(`properties${problem.startsWith('.') ? '' : ' '}${problem}`);
    properties = input.properties as ParsedUsageEvent['properties'];
  }
  return {
    ok: true,
    event: {
      customerRef: customerId,
      featureId,
      quantity,
      occurredAt,
      idempotencyKey,
      serviceId,
      properties,
      correctionOf,
    },
  };
}

function propertiesProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'must be an object';
  let count = 0;
  for (const [name, item] of Object.entries(value)) {
    count += 1;
    if (count > MAX_PROPERTIES) return `must have at most ${MAX_PROPERTIES} entries`;
    if (name.length === 0 || name.length > MAX_PROPERTY_NAME) {
      return `names must have 1 to ${MAX_PROPERTY_NAME} characters`;
    }
    if (item === null || typeof item === 'boolean') continue;
    if (typeof item === 'number' && Number.isFinite(item)) continue;
    if (typeof item === 'string' && item.length <= MAX_PROPERTY_VALUE) continue;
    return `.${name} must be a string of at most ${MAX_PROPERTY_VALUE} characters, a number, a boolean or null`;
  }
  return null;
}
