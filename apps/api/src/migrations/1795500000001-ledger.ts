import { MigrationInterface, QueryRunner } from 'typeorm';

/** The chart of accounts as it stood when the ledger was added: code, name, type, normal side, clearing, description. */
const CHART: readonly [string, string, string, string, boolean, string][] = [
  [
    'processor_clearing',
    'Processor clearing',
    'asset',
    'debit',
    true,
    'Charges recorded by us and not yet matched to a Stripe balance transaction (refunds and disputes the other way).',
  ],
  [
    'stripe_balance_pending',
    'Stripe balance, pending',
    'asset',
    'debit',
    false,
    'Funds at Stripe not yet available.',
  ],
  [
    'stripe_balance_available',
    'Stripe balance, available',
    'asset',
    'debit',
    false,
    'Funds at Stripe available for payout.',
  ],
  [
    'bank_in_transit',
    'Bank, payouts in transit',
    'asset',
    'debit',
    true,
    'Stripe payouts to the bank not yet arrived.',
  ],
  ['bank', 'Bank', 'asset', 'debit', false, 'Stripe payouts that arrived at the bank.'],
  ['accounts_receivable', 'Accounts receivable', 'asset', 'debit', false, 'Finalized invoices not yet paid.'],
  [
    'dispute_held',
    'Funds held in disputes',
    'asset',
    'debit',
    false,
    'Amounts Stripe withdrew for open disputes.',
  ],
  [
    'customer_credit',
    'Customer credit balances',
    'liability',
    'credit',
    false,
    'Credit customers hold and can spend on invoices.',
  ],
  ['deferred_revenue', 'Deferred revenue', 'liability', 'credit', false, 'Billed and not yet earned.'],
  [
    'tax_payable',
    'Tax payable',
    'liability',
    'credit',
    false,
    'Tax collected on invoices, owed to authorities.',
  ],
  [
    'trader_payouts_payable',
    'Trader payouts payable',
    'liability',
    'credit',
    false,
    'Payouts reserved for traders and not yet paid.',
  ],
  [
    'trader_payouts_clearing',
    'Trader payouts clearing',
    'asset',
    'debit',
    true,
    'Trader payouts sent and not yet matched to the processor transfer.',
  ],
  ['revenue_evaluation', 'Revenue, evaluation', 'income', 'credit', false, 'Revenue from evaluation sales.'],
  [
    'revenue_instant_funded',
    'Revenue, instant funded',
    'income',
    'credit',
    false,
    'Revenue from instant funded sales.',
  ],
  ['revenue_reset', 'Revenue, reset', 'income', 'credit', false, 'Revenue from reset sales.'],
  [
    'revenue_subscription',
    'Revenue, subscription',
    'income',
    'credit',
    false,
    'Revenue from subscription sales.',
  ],
  ['revenue_add_on', 'Revenue, add on', 'income', 'credit', false, 'Revenue from add on sales.'],
  ['revenue_usage', 'Revenue, usage', 'income', 'credit', false, 'Revenue from usage sales.'],
  ['discounts', 'Discounts', 'contra_income', 'debit', false, 'Coupon discounts given on invoices.'],
  [
    'refunds',
    'Refunds and credits',
    'contra_income',
    'debit',
    false,
    'Refunds and credit notes given back to customers.',
  ],
  ['processor_fees', 'Processor fees', 'expense', 'debit', false, 'Stripe fees on charges.'],
  ['dispute_losses', 'Dispute losses', 'expense', 'debit', false, 'Disputed amounts lost.'],
  ['dispute_fees', 'Dispute fees', 'expense', 'debit', false, 'Stripe fees on disputes.'],
  [
    'trader_payouts_expense',
    'Trader profit share',
    'expense',
    'debit',
    false,
    'Profit share owed to funded traders.',
  ],
  [
    'fx_gains_losses',
    'FX gains and losses',
    'expense',
    'debit',
    false,
    'Differences from currency conversion (a gain is a credit).',
  ],
  [
    'suspense',
    'Suspense',
    'asset',
    'debit',
    true,
    'Processor movements not explained by our rows, until resolved.',
  ],
];

/**
 * The commit-time check of an entry and of each line (as first written; replaced by
 * JournalCheckedOncePerEntry1795780000000, whose `down` restores it).
 */
export const CHECK_JOURNAL_ENTRY_FUNCTION = `FUNCTION "billing"."check_journal_entry"() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        -- A line names its entry in entry_id; an entry is its own id.
        entry text := COALESCE(to_jsonb(NEW) ->> 'entry_id', to_jsonb(NEW) ->> 'id');
        unbalanced text;
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM "billing"."journal_entries" WHERE "id" = entry) THEN
          RAISE EXCEPTION 'journal line of unknown entry %', entry USING ERRCODE = 'foreign_key_violation';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM "billing"."journal_lines" WHERE "entry_id" = entry) THEN
          RAISE EXCEPTION 'journal entry % has no lines', entry USING ERRCODE = 'check_violation';
        END IF;
        IF EXISTS (
          SELECT 1 FROM "billing"."journal_lines" line
          WHERE line."entry_id" = entry
            AND NOT EXISTS (SELECT 1 FROM "billing"."ledger_accounts" account WHERE account."code" = line."account")
        ) THEN
          RAISE EXCEPTION 'journal entry % names an account outside the chart', entry USING ERRCODE = 'foreign_key_violation';
        END IF;
        SELECT string_agg("currency" || ' debits ' || debits || ' credits ' || credits, '; ') INTO unbalanced
        FROM (
          SELECT "currency", sum("debit") AS debits, sum("credit") AS credits
          FROM "billing"."journal_lines" WHERE "entry_id" = entry GROUP BY "currency"
        ) totals WHERE debits <> credits;
        IF unbalanced IS NOT NULL THEN
          RAISE EXCEPTION 'journal entry % does not balance: %', entry, unbalanced USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
      END $$`;

/**
 * The ledger: a chart of accounts, journal entries and their lines. Entries are append-only (the
 * database refuses UPDATE, DELETE and TRUNCATE; corrections are reversing entries) and every entry
 * balances per currency, checked by a deferred trigger at commit so an entry's lines can be inserted
 * one statement after the entry.
 */
export class Ledger1795500000001 implements MigrationInterface {
  name = 'Ledger1795500000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "billing"."ledger_accounts" ("code" text NOT NULL, "name" text NOT NULL, "type" text NOT NULL, "normal_side" text NOT NULL, "clearing" boolean NOT NULL, "description" text NOT NULL, CONSTRAINT "PK_38110ab19259ee2e6cf0adc82c5" PRIMARY KEY ("code"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "billing"."journal_entries" ("id" text NOT NULL, "source_type" text NOT NULL, "source_id" text NOT NULL, "event" text NOT NULL, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL, "posted_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "customer_id" text, "memo" text, "reverses_entry_id" text, CONSTRAINT "PK_a70368e64230434457c8d007ab3" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_journal_entries_reverses" ON "billing"."journal_entries" ("reverses_entry_id") WHERE "reverses_entry_id" IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_journal_entries_occurred_at" ON "billing"."journal_entries" ("occurred_at") `,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_journal_entries_customer" ON "billing"."journal_entries" ("customer_id", "occurred_at") `,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_journal_entries_source_event" ON "billing"."journal_entries" ("source_type", "source_id", "event") `,
    );
    await queryRunner.query(
      `CREATE TABLE "billing"."journal_lines" ("id" BIGSERIAL NOT NULL, "entry_id" text NOT NULL, "account" text NOT NULL, "currency" text NOT NULL, "debit" bigint NOT NULL DEFAULT '0', "credit" bigint NOT NULL DEFAULT '0', "customer_id" text, "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "ck_journal_lines_one_side" CHECK ("debit" >= 0 AND "credit" >= 0 AND ("debit" = 0) <> ("credit" = 0)), CONSTRAINT "PK_70cba2da4588cee8921f73ef136" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_journal_lines_customer" ON "billing"."journal_lines" ("customer_id", "occurred_at") `,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_journal_lines_account_currency" ON "billing"."journal_lines" ("account", "currency", "occurred_at") `,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_journal_lines_entry" ON "billing"."journal_lines" ("entry_id") `,
    );

    for (const [code, name, type, normalSide, clearing, description] of CHART) {
      await queryRunner.query(
        `INSERT INTO "billing"."ledger_accounts" ("code", "name", "type", "normal_side", "clearing", "description") VALUES ($1, $2, $3, $4, $5, $6)`,
        [code, name, type, normalSide, clearing, description],
      );
    }

    await queryRunner.query(`
      CREATE FUNCTION "billing"."refuse_journal_change"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'billing.% is append-only: % is not allowed; post a reversing entry', TG_TABLE_NAME, TG_OP
          USING ERRCODE = 'restrict_violation';
      END $$`);
    for (const table of ['journal_entries', 'journal_lines']) {
      await queryRunner.query(
        `CREATE TRIGGER "${table}_append_only" BEFORE UPDATE OR DELETE ON "billing"."${table}" FOR EACH ROW EXECUTE FUNCTION "billing"."refuse_journal_change"()`,
      );
      await queryRunner.query(
        `CREATE TRIGGER "${table}_no_truncate" BEFORE TRUNCATE ON "billing"."${table}" FOR EACH STATEMENT EXECUTE FUNCTION "billing"."refuse_journal_change"()`,
      );
    }

    // At commit: the entry of each inserted line exists, its accounts are in the chart, and it
    // balances per currency; an entry without lines is refused too.
    await queryRunner.query(`CREATE ${CHECK_JOURNAL_ENTRY_FUNCTION}`);
    await queryRunner.query(
      `CREATE CONSTRAINT TRIGGER "journal_lines_balanced" AFTER INSERT ON "billing"."journal_lines" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "billing"."check_journal_entry"()`,
    );
    await queryRunner.query(
      `CREATE CONSTRAINT TRIGGER "journal_entries_have_lines" AFTER INSERT ON "billing"."journal_entries" DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION "billing"."check_journal_entry"()`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "billing"."journal_lines"`);
    await queryRunner.query(`DROP TABLE "billing"."journal_entries"`);
    await queryRunner.query(`DROP FUNCTION "billing"."check_journal_entry"()`);
    await queryRunner.query(`DROP FUNCTION "billing"."refuse_journal_change"()`);
    await queryRunner.query(`DROP TABLE "billing"."ledger_accounts"`);
  }
}
