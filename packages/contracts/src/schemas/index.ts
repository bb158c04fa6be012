import type { EventType } from '../events';
import { GENERATED_EVENT_SCHEMAS } from './event-schemas.generated';

/** A JSON Schema (draft-07) document. */
export type JsonSchema = { readonly [keyword: string]: unknown };

/**
 * The JSON Schema of every event envelope, generated from the TypeScript types (`version` is the
 * current one of `EVENT_VERSIONS`). A type without a schema does not compile.
 */
export const EVENT_SCHEMAS: { readonly [K in EventType]: JsonSchema } = GENERATED_EVENT_SCHEMAS;

export function eventSchemaOf(type: EventType): JsonSchema {
  return EVENT_SCHEMAS[type];
}
