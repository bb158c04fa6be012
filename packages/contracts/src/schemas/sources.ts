import type { AstrixEvent, EventType } from '../events';

/** Input of the schema generator: one envelope type per event type (see scripts/generate-event-schemas.js). */
export type EventSchemaSources = { [K in EventType]: AstrixEvent<K> };
