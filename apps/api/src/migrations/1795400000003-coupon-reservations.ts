import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Coupon reservations: an open checkout session holds its coupon against the coupon's limits until
 * the session expires (released) or its payment is recorded (consumed).
 */
export class CouponReservations1795400000003 implements MigrationInterface {
  name = 'CouponReservations1795400000003';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "billing"."coupon_reservations" ("id" text NOT NULL, "coupon_id" text NOT NULL, "customer_id" text NOT NULL, "user_id" text NOT NULL, "checkout_session_id" text NOT NULL, "discount_amount" bigint NOT NULL, "currency" text NOT NULL, "status" text NOT NULL, "held_at" TIMESTAMP WITH TIME ZONE NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "settled_at" TIMESTAMP WITH TIME ZONE, "release_reason" text, CONSTRAINT "ck_coupon_reservations_status" CHECK ("status" IN ('held', 'consumed', 'released')), CONSTRAINT "PK_74d1898f2f0b2024161d95e7419" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE UNIQUE INDEX "uq_coupon_reservations_checkout_session_id" ON "billing"."coupon_reservations" ("checkout_session_id")`,
    );
    await queryRunner.query(
      `CREATE INDEX "ix_coupon_reservations_coupon_status" ON "billing"."coupon_reservations" ("coupon_id", "status")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "billing"."ix_coupon_reservations_coupon_status"`);
    await queryRunner.query(`DROP INDEX "billing"."uq_coupon_reservations_checkout_session_id"`);
    await queryRunner.query(`DROP TABLE "billing"."coupon_reservations"`);
  }
}
