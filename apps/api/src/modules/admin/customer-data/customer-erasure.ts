import { randomBytes } from 'node:crypto';
import { Client, escapeIdentifier } from 'pg';
import { newId } from '../../../platform/ids';
import { conditionFor, findCustomer, withClient } from './customer-bundle-io';
import { customerTables } from './customer-data-map';

/** The domain of every pseudonym: `.invalid` can never receive mail (RFC 2606). */
export const ERASED_DOMAIN = 'erased.invalid';

/** A fresh, random pseudonym for an erased person's email: not derived from anything it replaces. */
export function emailPseudonym(random: () => Buffer = () => randomBytes(10)): string {
  return `erased-${random().toString('hex')}@${ERASED_DOMAIN}`;
}

export const isPseudonym = (email: string): boolean => email.endsWith(`@${ERASED_DOMAIN}`);

/** What an erased person's billing name becomes (invoices stay addressed, to no one). */
export const ERASED_NAME = 'Erased customer';

export interface ErasureReport {
  customerId: string;
  userId: string;
  pseudonym: string;
  alreadyErased: boolean;
  /** Rows changed, by table. */
  changed: Record<string, number>;
}

const qualified = (table: string): string =>
  table
    .split('.')
    .map((part) => escapeIdentifier(part))
    .join('.');

/** Text and JSON columns of a table: where an email or an address can be written. */
async function textColumns(client: Client, table: string): Promise<Array<{ name: string; json: boolean }>> {
  const [schema, name] = table.split('.');
  const found = await client.query<{ column_name: string; data_type: string }>(
    `SELECT column_name, data_type FROM information_schema.columns
      WHERE table_schema = $1 AND table_name = $2 AND data_type IN ('text', 'jsonb', 'character varying')
      ORDER BY ordinal_position`,
    [schema, name],
  );
  return found.rows.map((row) => ({ name: row.column_name, json: row.data_type === 'jsonb' }));
}

/**
 * `customer erase`: pseudonymizes a person while keeping every financial record. Their email
 * becomes a random `erased-…@erased.invalid` token everywhere it is written in their rows (the
 * customer, invoices' customer email, event envelopes, fraud evidence, stored responses, Stripe
 * event payloads); their billing name and address become `Erased customer` and nothing wherever
 * they are a whole value (a column, a JSON string); the IP addresses of their checkouts are dropped
 * and replaced the same way.
 * Amounts, ids, dates and statuses are untouched: invoices, charges, refunds and the journal stay
 * whole. Append-only tables (audit log, journal) are not rewritten (the database refuses; they
 * hold ids, not contact data — see docs/runbooks/erasure.md). One transaction, audited as
 * `customer.erased` with the reason and without the erased values.
 */
export async function eraseCustomer(
  databaseUrl: string,
  idOrUser: string,
  reason: string,
  actor: string,
  pseudonym: string = emailPseudonym(),
): Promise<ErasureReport> {
  return withClient(databaseUrl, async (client) => {
    await client.query('BEGIN');
    try {
      const who = await findCustomer(client, idOrUser);
      const [customer] = (
        await client.query<{
          email: string | null;
          billing_name: string | null;
          billing_address: string | null;
        }>('SELECT email, billing_name, billing_address FROM billing.customers WHERE id = $1 FOR UPDATE', [
          who.customerId,
        ])
      ).rows;
      if (customer.email !== null && isPseudonym(customer.email)) {
        await client.query('ROLLBACK');
        return { ...who, pseudonym: customer.email, alreadyErased: true, changed: {} };
      }
      // No email on file: nothing to find; the customer still gets a pseudonym (and is marked erased).
      const email = customer.email ?? pseudonym;
      const ips = (
        await client.query<{ ip: string }>(
          `SELECT DISTINCT client_ip AS ip FROM billing.checkout_sessions WHERE customer_id = $1 AND client_ip IS NOT NULL`,
          [who.customerId],
        )
      ).rows.map((row) => row.ip);
      // The email wherever it is written. The billing name and address, and IP addresses, only as
      // whole values (a substring could be part of something else): a whole text column, or a
      // whole JSON string value.
      const exact: Array<[string, string]> = [
        ...(customer.billing_name ? [[customer.billing_name, ERASED_NAME] as [string, string]] : []),
        ...(customer.billing_address ? [[customer.billing_address, 'erased'] as [string, string]] : []),
        ...ips.map((ip): [string, string] => [ip, 'erased-ip']),
      ];
      const replacements: Array<[string, string]> = [
        [email, pseudonym] as [string, string],
        ...exact.map(([from, to]): [string, string] => [JSON.stringify(from), JSON.stringify(to)]),
      ];

      const changed: Record<string, number> = {};
      const count = (table: string, rows: number | null) => {
        if (rows) changed[table] = (changed[table] ?? 0) + rows;
      };
      count(
        'billing.customers',
        (
          await client.query(
            `UPDATE billing.customers SET email = $2, billing_address = NULL,
                    billing_name = CASE WHEN billing_name IS NULL THEN NULL ELSE $3 END
              WHERE id = $1`,
            [who.customerId, pseudonym, ERASED_NAME],
          )
        ).rowCount,
      );
      count(
        'billing.checkout_sessions',
        (
          await client.query(
            `UPDATE billing.checkout_sessions SET client_ip = NULL WHERE customer_id = $1 AND client_ip IS NOT NULL`,
            [who.customerId],
          )
        ).rowCount,
      );
      const targets = [
        ...customerTables()
          .filter((rule) => !rule.appendOnly)
          .map((rule) => ({
            table: rule.table,
            where: conditionFor(rule.table, who),
            replace: replacements,
            exact,
          })),
        // Stripe's events are no one customer's rows, but their payloads carry the email (only the
        // email: an IP address may be another customer's too).
        {
          table: 'billing.stripe_webhook_events',
          where: 'TRUE',
          replace: [[email, pseudonym] as [string, string]],
          exact: [] as Array<[string, string]>,
        },
      ];
      for (const target of targets) {
        for (const column of await textColumns(client, target.table)) {
          const name = escapeIdentifier(column.name);
          const asText = column.json ? `${name}::text` : name;
          const replace = column.json ? target.replace : target.replace.slice(0, 1);
          let expression = asText;
          const parameters: string[] = [];
          for (const [from, to] of replace) {
            parameters.push(from, to);
            expression = `replace(${expression}, $${parameters.length - 1}, $${parameters.length})`;
          }
          const conditions = replace.map((_, index) => `strpos(${asText}, $${index * 2 + 1}) > 0`);
          if (!column.json && target.exact.length > 0) {
            const cases = target.exact.map(([from, to]) => {
              parameters.push(from, to);
              conditions.push(`${name} = $${parameters.length - 1}`);
              return `WHEN ${name} = $${parameters.length - 1} THEN $${parameters.length}`;
            });
            expression = `CASE ${cases.join(' ')} ELSE ${expression} END`;
          }
          const contains = conditions.join(' OR ');
          const result = await client.query(
            `UPDATE ${qualified(target.table)} SET ${name} = ${column.json ? `(${expression})::jsonb` : expression}
              WHERE (${target.where}) AND (${contains})`,
            parameters,
          );
          count(target.table, result.rowCount);
        }
      }
      await client.query(
        `INSERT INTO platform.audit_log
           (id, actor_type, actor_id, action, resource_type, resource_id, before, after, request_id, occurred_at)
         VALUES ($1, 'system', $2, 'customer.erased', 'customer', $3, NULL, $4::jsonb, NULL, now())`,
        [
          newId('aud'),
          actor,
          who.customerId,
          JSON.stringify({ reason, pseudonym, userId: who.userId, changed }),
        ],
      );
      await client.query('COMMIT');
      return { ...who, pseudonym, alreadyErased: false, changed };
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
  });
}
