import type { MigrationInterface, QueryRunner } from 'typeorm';
import { CHECK_JOURNAL_ENTRY_FUNCTION } from './1795500000001-ledger';

/**
 * The ledger's commit-time check, once per entry instead of once per entry and once per line, and in
 * one query instead of four (issue #25: the billing run posts an entry and two or three lines per
 * invoice, and their checks ran at COMMIT under the invoice series' lock).
 *
 * Same guarantees, same triggers and messages:
 * - an entry's trigger checks it whole at commit: it has lines, their accounts are in the chart, and
 *   they balance per currency;
 * - a line whose entry this transaction posted (outside a savepoint) is covered by that check, which
 *   runs at the same commit with every line in place, so the line's trigger returns at once;
 * - any other line (its entry committed earlier, posted in a savepoint, or unknown) is checked with its
 *   entry as before.
 */
export class JournalCheckedOncePerEntry1795780000000 implements MigrationInterface {
  name = 'JournalCheckedOncePerEntry1795780000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION "billing"."check_journal_entry"() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        entry text;
        line_count bigint;
        all_charted boolean;
        unbalanced text;
      BEGIN
        IF TG_TABLE_NAME = 'journal_lines' THEN
          entry := NEW."entry_id";
          -- The entry's row was written by this very transaction (a savepoint's would carry the
          -- savepoint's id): its own check runs at this commit and covers this line.
          IF EXISTS (
            SELECT 1 FROM "billing"."journal_entries" posted
             WHERE posted."id" = entry AND posted.xmin = pg_current_xact_id()::xid
          ) THEN
            RETURN NULL;
          END IF;
          IF NOT EXISTS (SELECT 1 FROM "billing"."journal_entries" WHERE "id" = entry) THEN
            RAISE EXCEPTION 'journal line of unknown entry %', entry USING ERRCODE = 'foreign_key_violation';
          END IF;
        ELSE
          entry := NEW."id";
        END IF;
        SELECT coalesce(sum(totals.lines), 0), coalesce(bool_and(totals.charted), true),
               string_agg(CASE WHEN totals.debits <> totals.credits
                               THEN totals."currency" || ' debits ' || totals.debits || ' credits ' || totals.credits END,
                          '; ')
          INTO line_count, all_charted, unbalanced
          FROM (
            SELECT line."currency", count(*) AS lines, sum(line."debit") AS debits, sum(line."credit") AS credits,
                   bool_and(EXISTS (SELECT 1 FROM "billing"."ledger_accounts" account
                                     WHERE account."code" = line."account")) AS charted
              FROM "billing"."journal_lines" line
             WHERE line."entry_id" = entry
             GROUP BY line."currency"
          ) totals;
        IF line_count = 0 THEN
          RAISE EXCEPTION 'journal entry % has no lines', entry USING ERRCODE = 'check_violation';
        END IF;
        IF NOT all_charted THEN
          RAISE EXCEPTION 'journal entry % names an account outside the chart', entry USING ERRCODE = 'foreign_key_violation';
        END IF;
        IF unbalanced IS NOT NULL THEN
          RAISE EXCEPTION 'journal entry % does not balance: %', entry, unbalanced USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
      END $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE OR REPLACE ${CHECK_JOURNAL_ENTRY_FUNCTION}`);
  }
}
