import Ajv from 'ajv';
import { EVENT_SCHEMAS, EventType } from '@astrix/contracts';
import type { TestApp } from './test-app';

export interface SchemaViolation {
  type: string;
  id: string;
  errors: unknown;
}

/** Every event the app wrote to its outbox, checked against the published JSON Schema of its type. */
export async function outboxSchemaViolations(
  t: TestApp,
): Promise<{ checked: Set<string>; violations: SchemaViolation[] }> {
  const rows: Array<{ type: EventType; event_id: string; envelope: unknown }> = await t.dataSource.query(
    'SELECT type, event_id, envelope FROM platform.outbox_events ORDER BY position',
  );
  const ajv = new Ajv({ strict: false, allErrors: true });
  const violations: SchemaViolation[] = [];
  for (const row of rows) {
    const validate =
      ajv.getSchema(row.type) ?? (ajv.addSchema(EVENT_SCHEMAS[row.type], row.type), ajv.getSchema(row.type));
    if (!validate) violations.push({ type: row.type, id: row.event_id, errors: 'no schema for this type' });
    else if (!validate(row.envelope))
      violations.push({ type: row.type, id: row.event_id, errors: validate.errors });
  }
  return { checked: new Set(rows.map((row) => row.type)), violations };
}
