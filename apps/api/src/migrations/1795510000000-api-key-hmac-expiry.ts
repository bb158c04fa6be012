import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * API keys: `hash_scheme` says how `key_hash` was made. Keys issued before this migration keep their
 * plain SHA-256 hash (`sha256`) and go on working: the first time such a key is used, the API
 * re-hashes it as HMAC-SHA256 with API_KEY_PEPPER (`hmac-sha256`) — a migration cannot, as it never
 * sees the raw keys. New keys are always `hmac-sha256`. Optional `expires_at`: an expired key gets 401.
 */
export class ApiKeyHmacExpiry1795510000000 implements MigrationInterface {
  name = 'ApiKeyHmacExpiry1795510000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "platform"."api_keys" ADD "hash_scheme" text NOT NULL DEFAULT 'sha256'`,
    );
    await queryRunner.query(`ALTER TABLE "platform"."api_keys" ALTER COLUMN "hash_scheme" DROP DEFAULT`);
    await queryRunner.query(
      `ALTER TABLE "platform"."api_keys" ADD CONSTRAINT "ck_api_keys_hash_scheme" CHECK ("hash_scheme" IN ('sha256', 'hmac-sha256'))`,
    );
    await queryRunner.query(`ALTER TABLE "platform"."api_keys" ADD "expires_at" TIMESTAMP WITH TIME ZONE`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "platform"."api_keys" DROP COLUMN "expires_at"`);
    await queryRunner.query(`ALTER TABLE "platform"."api_keys" DROP CONSTRAINT "ck_api_keys_hash_scheme"`);
    await queryRunner.query(`ALTER TABLE "platform"."api_keys" DROP COLUMN "hash_scheme"`);
  }
}
