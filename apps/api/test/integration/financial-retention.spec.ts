import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Client } from 'pg';
import { getMetadataArgsStorage } from 'typeorm';
import { ALL_ENTITIES } from '../../src/bootstrap/data-source-options';
import { APPEND_ONLY_TABLES, grantAppRole, RETAINED_TABLES } from '../../src/platform/database/app-role';
import { createTestDatabase, type TestDatabase, uniqueName } from '../support/databases';

/**
 * Retention: financial records (invoices, charges, refunds, credit notes, disputes, payouts, the
 * journal, balance transactions, the audit log…) are never deleted by the application. The source
 * is scanned for every way code deletes a row (SQL DELETE/TRUNCATE, ORM delete/remove, query
 * builder deletes); the database refuses deletes of invoices and their lines for any role.
 */
const SRC = join(__dirname, '..', '..', 'src');
const KEPT = [...RETAINED_TABLES, ...APPEND_ONLY_TABLES];

function entityClassesOf(tables: readonly string[]): string[] {
  const wanted = new Set(tables);
  const registered = new Set<unknown>(ALL_ENTITIES);
  return getMetadataArgsStorage()
    .tables.filter((table) => registered.has(table.target) && wanted.has(`${table.schema}.${table.name}`))
    .map((table) => (table.target as { name: string }).name);
}

function deletePatterns(entities: string[]): RegExp[] {
  const entity = `(?:${entities.join('|')})\\b`;
  const verb = '(?:delete|remove|softDelete|softRemove|clear)';
  const sqlTables = KEPT.map((name) => {
    const [schema, table] = name.split('.');
    return `"?${schema}"?\\s*\\.\\s*"?${table}"?\\b`;
  }).join('|');
  return [
    // DELETE FROM billing.invoices / TRUNCATE "billing"."charges" / TRUNCATE TABLE …
    new RegExp(`\\b(?:delete\\s+from|truncate(?:\\s+table)?(?:\\s+only)?)\\s+(?:${sqlTables})`, 'gi'),
    // manager.delete(Invoice, …), manager.remove(Charge, …)
    new RegExp(`\\.${verb}\\(\\s*${entity}`, 'g'),
    // getRepository(Invoice).delete(…) / .remove(…)
    new RegExp(`getRepository\\(\\s*${entity}\\s*\\)\\s*\\.\\s*${verb}\\(`, 'g'),
    // createQueryBuilder().delete().from(Invoice)
    new RegExp(`\\.delete\\(\\)\\s*\\.\\s*from\\(\\s*(?:${entity}|['"\`](?:${KEPT.join('|')})['"\`])`, 'g'),
    // createQueryBuilder(Invoice, 'i').delete()
    new RegExp(`createQueryBuilder\\(\\s*${entity}[^;]*?\\.\\s*(?:delete|softDelete)\\(\\s*\\)`, 'g'),
  ];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'migrations' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

function deletesIn(source: string, patterns: RegExp[]): string[] {
  return patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((match) => match[0]));
}

describe('financial records are never deleted', () => {
  const entities = entityClassesOf(KEPT);
  const patterns = deletePatterns(entities);

  it('knows the entity classes of the retained tables', () => {
    expect(entities).toEqual(
      expect.arrayContaining([
        'Invoice',
        'InvoiceLine',
        'Charge',
        'Refund',
        'CreditNote',
        'JournalEntry',
        'AuditLogEntry',
      ]),
    );
  });

  it('finds each way of deleting (the scan is not blind)', () => {
    const samples = [
      'await manager.query(`DELETE FROM billing.invoices WHERE id = $1`, [id]);',
      'await q.query(\'delete from "billing"."charges"\');',
      'TRUNCATE TABLE platform.audit_log',
      'await manager.delete(Refund, { id });',
      'await manager.remove(CreditNote, note);',
      'await this.dataSource.getRepository(JournalEntry).delete({ id });',
      'await manager.createQueryBuilder().delete().from(Invoice).where("id = :id").execute();',
      "await manager.createQueryBuilder(Charge, 'c').delete().where('id = :id').execute();",
    ];
    for (const sample of samples) expect([sample, deletesIn(sample, patterns).length]).toEqual([sample, 1]);
    expect(deletesIn('await manager.delete(CouponReservation, { id });', patterns)).toEqual([]);
    expect(deletesIn('DELETE FROM billing.invoices_archive', patterns)).toEqual([]);
  });

  it('no source file under src deletes a retained or append-only table', () => {
    const found = sourceFiles(SRC).flatMap((file) =>
      deletesIn(readFileSync(file, 'utf8'), patterns).map((match) => `${relative(SRC, file)}: ${match}`),
    );
    expect(found).toEqual([]);
  });

  describe('in the database', () => {
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

    it('refuses to delete or truncate invoices and their lines, for any role', async () => {
      await client.query(
        `INSERT INTO billing.invoices (id, number, customer_id, user_id, status, currency, subtotal, discount, tax, total,
           amount_paid, seller, issued_at)
         VALUES ('inv_retained', 'R-1', 'cust_retained', 'user_retained', 'paid', 'USD', 100, 0, 0, 100, 100, '{}', now())`,
      );
      await client.query(
        `INSERT INTO billing.invoice_lines (invoice_id, position, description, quantity, unit_amount, amount, discount, tax)
         VALUES ('inv_retained', 1, 'Evaluation', 1, 100, 100, 0, 0)`,
      );
      for (const statement of [
        `DELETE FROM billing.invoice_lines WHERE invoice_id = 'inv_retained'`,
        `DELETE FROM billing.invoices WHERE id = 'inv_retained'`,
        'TRUNCATE billing.invoices',
        'TRUNCATE billing.invoice_lines',
      ]) {
        await expect(client.query(statement)).rejects.toThrow('is a retained financial record');
      }
      // Status changes are updates, and stay allowed.
      await client.query(
        `UPDATE billing.invoices SET status = 'void', voided_at = now() WHERE id = 'inv_retained'`,
      );
      const kept = await client.query(
        `SELECT count(*)::int AS n FROM billing.invoice_lines WHERE invoice_id = 'inv_retained'`,
      );
      expect(kept.rows[0].n).toBe(1);
    });

    it('gives the app role (two-role setup) no DELETE or TRUNCATE on the retained tables, and INSERT and UPDATE', async () => {
      const role = uniqueName('astrix_retention_app');
      try {
        await client.query('BEGIN');
        // Queryable returns rows, as TypeORM's query does.
        const rows = {
          query: (sql: string, parameters?: unknown[]) => client.query(sql, parameters).then((r) => r.rows),
        };
        await grantAppRole(rows, { name: role, password: null });
        await client.query('COMMIT');
        const privileges = await client.query<{
          name: string;
          del: boolean;
          trunc: boolean;
          ins: boolean;
          upd: boolean;
        }>(
          `SELECT name, has_table_privilege($1, name, 'DELETE') AS del, has_table_privilege($1, name, 'TRUNCATE') AS trunc,
                  has_table_privilege($1, name, 'INSERT') AS ins, has_table_privilege($1, name, 'UPDATE') AS upd
             FROM unnest($2::text[]) AS name ORDER BY name`,
          [role, [...RETAINED_TABLES]],
        );
        expect(privileges.rows).toEqual(
          [...RETAINED_TABLES]
            .sort()
            .map((name) => ({ name, del: false, trunc: false, ins: true, upd: true })),
        );
      } finally {
        await client.query('ROLLBACK');
        await client.query(`DROP OWNED BY "${role}"`).catch(() => undefined);
        await client.query(`DROP ROLE IF EXISTS "${role}"`);
      }
    });
  });
});
