import Ajv from 'ajv';
import { EVENT_TYPES, EVENT_VERSIONS } from '../events';
import { EVENT_SCHEMAS } from './index';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { generateEventSchemas } = require('../../scripts/generate-event-schemas.js') as {
  generateEventSchemas: () => Record<string, unknown>;
};

describe('event JSON Schemas', () => {
  it('exist for every event type, at its current version', () => {
    expect(Object.keys(EVENT_SCHEMAS).sort()).toEqual([...EVENT_TYPES].sort());
    for (const type of EVENT_TYPES) {
      expect(EVENT_SCHEMAS[type]).toMatchObject({
        title: type,
        properties: { version: { const: EVENT_VERSIONS[type] } },
      });
    }
  });

  it('are what the generator makes of the TypeScript types today (run `pnpm schemas` when this fails)', () => {
    expect(JSON.parse(JSON.stringify(EVENT_SCHEMAS))).toEqual(generateEventSchemas());
  }, 30_000);

  it('accept a well-formed envelope and refuse a wrong one', () => {
    const validate = new Ajv({ strict: false }).compile(EVENT_SCHEMAS['platform.api_key.revoked']);
    const event = {
      id: 'evt_01',
      type: 'platform.api_key.revoked',
      version: 1,
      occurredAt: '2026-11-21T10:00:00.000Z',
      producer: 'astrix-billing',
      subject: 'key_01',
      data: { apiKeyId: 'key_01', name: 'svc', revokedBy: 'user_1' },
      correlationId: null,
      sequence: 2,
    };
    expect(validate(event)).toBe(true);
    expect(validate({ ...event, data: { apiKeyId: 'key_01' } })).toBe(false);
    expect(validate({ ...event, version: 2 })).toBe(false);
    expect(validate({ ...event, type: 'platform.api_key.created' })).toBe(false);
  });
});
