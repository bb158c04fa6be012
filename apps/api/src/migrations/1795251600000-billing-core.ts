import { MigrationInterface, QueryRunner } from 'typeorm';

/** Billing core: catalog, customers, coupons, checkout sessions, charges, refunds, invoices, credit notes, Stripe events. */
export class BillingCore1795251600000 implements MigrationInterface {
  name = 'BillingCore1795251600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "billing"."prices" ("id" text NOT NULL, "product_id" text NOT NULL, "currency" text NOT NULL, "unit_amount" bigint NOT NULL, "recurring_interval" text, "recurring_interval_count" integer, "active" boolean NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "ck_prices_non_negative" CHECK ("unit_amount" >= 0), CONSTRAINT "PK_2e40b9e4e631a53cd514d82ccd2" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_prices_active_product_currency" ON "billing"."prices" ("product_id", "currency") WHERE active`,
    );
    await queryRunner.query(
      `CREATE TABLE "billing"."products" ("id" text NOT NULL, "kind" text NOT NULL, "name" text NOT NULL, "description" text, "attributes" jsonb NOT NULL DEFAULT '{}', "slug" text NOT NULL, "status" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_0806c755e0aca124e67c0cf6d7d" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_products_slug" ON "billing"."products" ("slug")`);
    await queryRunner.query(
      `CREATE INDEX "ix_products_status_kind" ON "billing"."products" ("status", "kind")`,
    );
    await queryRunner.query(
      `CREATE TABLE "billing"."checkout_sessions" ("id" text NOT NULL, "customer_id" text NOT NULL, "user_id" text NOT NULL, "product_id" text NOT NULL, "price_id" text NOT NULL, "account_id" text, "coupon_id" text, "currency" text NOT NULL, "subtotal_amount" bigint NOT NULL, "discount_amount" bigint NOT NULL, "total_amount" bigint NOT NULL, "breakdown" jsonb NOT NULL, "stripe_checkout_session_id" text, "url" text, "status" text NOT NULL, "failure_reason" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "completed_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_5730b2bbc190203a94941d82bd1" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_checkout_sessions_stripe_id" ON "billing"."checkout_sessions" ("stripe_checkout_session_id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_checkout_sessions_user" ON "billing"."checkout_sessions" ("user_id", "created_at")`,
    );
    await queryRunner.query(
      `CREATE TABLE "billing"."coupons" ("id" text NOT NULL, "code" text NOT NULL, "kind" text NOT NULL, "percent_off" text, "amount_off" jsonb, "max_discount" jsonb, "minimum_order" jsonb, "duration" text NOT NULL, "duration_periods" integer, "product_ids" text array, "first_purchase_only" boolean NOT NULL DEFAULT false, "expires_at" TIMESTAMP WITH TIME ZONE, "max_redemptions" integer, "max_redemptions_per_customer" integer, "redemption_count" integer NOT NULL DEFAULT '0', "status" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "ck_coupons_within_max_redemptions" CHECK ("max_redemptions" IS NULL OR "redemption_count" <= "max_redemptions"), CONSTRAINT "PK_d7ea8864a0150183770f3e9a8cb" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_coupons_code" ON "billing"."coupons" ("code")`);
    await queryRunner.query(
      `CREATE TABLE "billing"."coupon_redemptions" ("id" text NOT NULL, "coupon_id" text NOT NULL, "customer_id" text NOT NULL, "charge_id" text NOT NULL, "discount_amount" bigint NOT NULL, "currency" text NOT NULL, "redeemed_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_5086813ea980d21dbeb190ed0a7" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_coupon_redemptions_charge_id" ON "billing"."coupon_redemptions" ("charge_id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_coupon_redemptions_coupon_customer" ON "billing"."coupon_redemptions" ("coupon_id", "customer_id")`,
    );
    await queryRunner.query(
      `CREATE TABLE "billing"."customers" ("id" text NOT NULL, "user_id" text NOT NULL, "email" text, "stripe_customer_id" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_133ec679a801fab5e070f73d3ea" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_customers_user_id" ON "billing"."customers" ("user_id")`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_customers_stripe_customer_id" ON "billing"."customers" ("stripe_customer_id")`,
    );
    await queryRunner.query(
      `CREATE TABLE "billing"."credit_notes" ("id" text NOT NULL, "number" text NOT NULL, "invoice_id" text NOT NULL, "refund_id" text, "amount" bigint NOT NULL, "currency" text NOT NULL, "reason" text NOT NULL, "issued_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_4933888a20b5469e119ad74b9e9" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_credit_notes_number" ON "billing"."credit_notes" ("number")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_credit_notes_invoice" ON "billing"."credit_notes" ("invoice_id")`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_credit_notes_refund_id" ON "billing"."credit_notes" ("refund_id")`,
    );
    await queryRunner.query(
      `CREATE TABLE "billing"."document_number_series" ("series" text NOT NULL, "last_number" bigint NOT NULL, CONSTRAINT "PK_f23871a9c4e234164a1c29a25ac" PRIMARY KEY ("series"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "billing"."invoices" ("id" text NOT NULL, "number" text NOT NULL, "customer_id" text NOT NULL, "user_id" text NOT NULL, "customer_email" text, "charge_id" text, "status" text NOT NULL, "currency" text NOT NULL, "subtotal" bigint NOT NULL, "discount" bigint NOT NULL, "tax" bigint NOT NULL, "total" bigint NOT NULL, "amount_paid" bigint NOT NULL, "seller" jsonb NOT NULL, "issued_at" TIMESTAMP WITH TIME ZONE NOT NULL, "paid_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_668cef7c22a427fd822cc1be3ce" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_invoices_number" ON "billing"."invoices" ("number")`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_invoices_charge_id" ON "billing"."invoices" ("charge_id")`,
    );
    await queryRunner.query(`CREATE INDEX "ix_invoices_user" ON "billing"."invoices" ("user_id", "id")`);
    await queryRunner.query(
      `CREATE TABLE "billing"."invoice_lines" ("invoice_id" text NOT NULL, "position" integer NOT NULL, "description" text NOT NULL, "product_id" text, "quantity" integer NOT NULL, "unit_amount" bigint NOT NULL, "amount" bigint NOT NULL, "discount" bigint NOT NULL, "tax" bigint NOT NULL, CONSTRAINT "PK_5d7d64cb2e3739cfa97ca6c6185" PRIMARY KEY ("invoice_id", "position"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_invoice_lines_invoice" ON "billing"."invoice_lines" ("invoice_id", "position")`,
    );
    await queryRunner.query(
      `CREATE TABLE "billing"."charges" ("id" text NOT NULL, "customer_id" text NOT NULL, "user_id" text NOT NULL, "checkout_session_id" text NOT NULL, "product_id" text NOT NULL, "amount" bigint NOT NULL, "currency" text NOT NULL, "amount_refunded" bigint NOT NULL DEFAULT '0', "status" text NOT NULL, "stripe_payment_intent_id" text, "stripe_charge_id" text, "card_brand" text, "card_last4" text, "card_fingerprint" text, "card_country" text, "risk_level" text, "risk_score" integer, "coupon_id" text, "discount_amount" bigint NOT NULL DEFAULT '0', "invoice_id" text, "paid_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "ck_charges_refunded_within_amount" CHECK ("amount" > 0 AND "amount_refunded" >= 0 AND "amount_refunded" <= "amount"), CONSTRAINT "PK_0c6feb10df0fa460714f8464dce" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_charges_checkout_session_id" ON "billing"."charges" ("checkout_session_id")`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_charges_stripe_payment_intent_id" ON "billing"."charges" ("stripe_payment_intent_id")`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_charges_stripe_charge_id" ON "billing"."charges" ("stripe_charge_id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_charges_card_fingerprint" ON "billing"."charges" ("card_fingerprint")`,
    );
    await queryRunner.query(`CREATE INDEX "ix_charges_user" ON "billing"."charges" ("user_id", "id")`);
    await queryRunner.query(
      `CREATE TABLE "billing"."refunds" ("id" text NOT NULL, "charge_id" text NOT NULL, "amount" bigint NOT NULL, "currency" text NOT NULL, "reason" text NOT NULL, "status" text NOT NULL, "stripe_refund_id" text, "failure_reason" text, "requested_by" text NOT NULL, "credit_note_id" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "processed_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "ck_refunds_positive_amount" CHECK ("amount" > 0), CONSTRAINT "PK_5106efb01eeda7e49a78b869738" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_refunds_stripe_refund_id" ON "billing"."refunds" ("stripe_refund_id")`,
    );
    await queryRunner.query(`CREATE INDEX "ix_refunds_charge" ON "billing"."refunds" ("charge_id")`);
    await queryRunner.query(
      `CREATE TABLE "billing"."stripe_webhook_events" ("id" text NOT NULL, "type" text NOT NULL, "payload" jsonb NOT NULL, "status" text NOT NULL, "attempts" integer NOT NULL DEFAULT '0', "last_error" text, "stripe_created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "received_at" TIMESTAMP WITH TIME ZONE NOT NULL, "processed_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "PK_0cf13fd3f2ff5604e092bc1ff48" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_stripe_webhook_events_status" ON "billing"."stripe_webhook_events" ("status", "received_at")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "billing"."ix_stripe_webhook_events_status"`);
    await queryRunner.query(`DROP TABLE "billing"."stripe_webhook_events"`);
    await queryRunner.query(`DROP INDEX "billing"."ix_refunds_charge"`);
    await queryRunner.query(`DROP INDEX "billing"."uq_refunds_stripe_refund_id"`);
    await queryRunner.query(`DROP TABLE "billing"."refunds"`);
    await queryRunner.query(`DROP INDEX "billing"."ix_charges_user"`);
    await queryRunner.query(`DROP INDEX "billing"."ix_charges_card_fingerprint"`);
    await queryRunner.query(`DROP INDEX "billing"."uq_charges_stripe_charge_id"`);
    await queryRunner.query(`DROP INDEX "billing"."uq_charges_stripe_payment_intent_id"`);
    await queryRunner.query(`DROP INDEX "billing"."uq_charges_checkout_session_id"`);
    await queryRunner.query(`DROP TABLE "billing"."charges"`);
    await queryRunner.query(`DROP INDEX "billing"."ix_invoice_lines_invoice"`);
    await queryRunner.query(`DROP TABLE "billing"."invoice_lines"`);
    await queryRunner.query(`DROP INDEX "billing"."ix_invoices_user"`);
    await queryRunner.query(`DROP INDEX "billing"."uq_invoices_charge_id"`);
    await queryRunner.query(`DROP INDEX "billing"."uq_invoices_number"`);
    await queryRunner.query(`DROP TABLE "billing"."invoices"`);
    await queryRunner.query(`DROP TABLE "billing"."document_number_series"`);
    await queryRunner.query(`DROP INDEX "billing"."uq_credit_notes_refund_id"`);
    await queryRunner.query(`DROP INDEX "billing"."ix_credit_notes_invoice"`);
    await queryRunner.query(`DROP INDEX "billing"."uq_credit_notes_number"`);
    await queryRunner.query(`DROP TABLE "billing"."credit_notes"`);
    await queryRunner.query(`DROP INDEX "billing"."uq_customers_stripe_customer_id"`);
    await queryRunner.query(`DROP INDEX "billing"."uq_customers_user_id"`);
    await queryRunner.query(`DROP TABLE "billing"."customers"`);
    await queryRunner.query(`DROP INDEX "billing"."ix_coupon_redemptions_coupon_customer"`);
    await queryRunner.query(`DROP INDEX "billing"."uq_coupon_redemptions_charge_id"`);
    await queryRunner.query(`DROP TABLE "billing"."coupon_redemptions"`);
    await queryRunner.query(`DROP INDEX "billing"."uq_coupons_code"`);
    await queryRunner.query(`DROP TABLE "billing"."coupons"`);
    await queryRunner.query(`DROP INDEX "billing"."ix_checkout_sessions_user"`);
    await queryRunner.query(`DROP INDEX "billing"."uq_checkout_sessions_stripe_id"`);
    await queryRunner.query(`DROP TABLE "billing"."checkout_sessions"`);
    await queryRunner.query(`DROP INDEX "billing"."ix_products_status_kind"`);
    await queryRunner.query(`DROP INDEX "billing"."uq_products_slug"`);
    await queryRunner.query(`DROP TABLE "billing"."products"`);
    await queryRunner.query(`DROP INDEX "billing"."uq_prices_active_product_currency"`);
    await queryRunner.query(`DROP TABLE "billing"."prices"`);
  }
}
