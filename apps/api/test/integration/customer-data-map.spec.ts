import { Client } from 'pg';
import { CUSTOMER_DATA_MAP, ownerCondition } from '../../src/modules/admin/customer-data/customer-data-map';
import { createTestDatabase, type TestDatabase } from '../support/databases';

/**
 * The customer data map (export, restore, erasure) against the migrated schema: every table is in
 * it, every table with a customer_id or user_id column is mapped to its owner, each key is the
 * table's primary key, and each rule's SQL runs. A new table fails here until it is declared.
 */
describe('customer data map', () => {
  let database: TestDatabase;
  let client: Client;
  beforeAll(async () => {
    database = await createTestDatabase();
    client = new Client({ connectionString: database.url });
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
    await database.drop();
  });

  const tables = async (): Promise<Array<{ name: string; columns: string[]; key: string[] }>> => {
    const found = await client.query<{ name: string; columns: string[]; key: string[] | null }>(
      `SELECT t.schemaname || '.' || t.tablename AS name,
              (SELECT array_agg(column_name::text ORDER BY ordinal_position) FROM information_schema.columns c
                WHERE c.table_schema = t.schemaname AND c.table_name = t.tablename) AS columns,
              (SELECT array_agg(a.attname::text ORDER BY k.ordinality)
                 FROM pg_constraint p
                 CROSS JOIN LATERAL unnest(p.conkey) WITH ORDINALITY AS k(attnum, ordinality)
                 JOIN pg_attribute a ON a.attrelid = p.conrelid AND a.attnum = k.attnum
                WHERE p.conrelid = (quote_ident(t.schemaname) || '.' || quote_ident(t.tablename))::regclass
                  AND p.contype = 'p') AS key
         FROM pg_tables t WHERE t.schemaname IN ('platform', 'billing', 'accounts', 'payouts') ORDER BY 1`,
    );
    return found.rows.map((row) => ({ ...row, key: row.key ?? [] }));
  };

  it('declares every table, and no table with customer_id or user_id as not customer data', async () => {
    const declared = new Map(CUSTOMER_DATA_MAP.map((rule) => [rule.table, rule]));
    const problems: string[] = [];
    for (const table of await tables()) {
      const rule = declared.get(table.name);
      if (!rule) {
        problems.push(`${table.name} is not in CUSTOMER_DATA_MAP (customer-data-map.ts)`);
        continue;
      }
      if (
        rule.owner.by === 'none' &&
        table.columns.some((column) => column === 'customer_id' || column === 'user_id')
      ) {
        problems.push(`${table.name} has a customer_id or user_id column but is declared not customer data`);
      }
      if (rule.key.join(',') !== table.key.join(',')) {
        problems.push(
          `${table.name}: key ${rule.key.join(',')} is not the primary key ${table.key.join(',')}`,
        );
      }
    }
    const existing = new Set((await tables()).map((table) => table.name));
    for (const rule of CUSTOMER_DATA_MAP) {
      if (!existing.has(rule.table)) problems.push(`${rule.table} is in the map but not in the database`);
    }
    expect(problems).toEqual([]);
  });

  it("every rule's condition runs", async () => {
    for (const rule of CUSTOMER_DATA_MAP) {
      if (rule.owner.by === 'none') continue;
      const sql = ownerCondition(rule.table).replace(/\$1/g, "'cust_x'").replace(/\$2/g, "'user_x'");
      await expect(client.query(`SELECT count(*) FROM ${rule.table} WHERE ${sql}`)).resolves.toBeDefined();
    }
  });
});
