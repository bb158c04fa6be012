import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Entitlement definitions invalidated on commit (issue #25): every definition change bumps
 * billing.entitlements_version in its transaction; a statement-level AFTER UPDATE trigger on that row
 * notifies `astrix_entitlements` (platform.notify_commit), delivered only when the change commits, so
 * every process reloads its in-memory copy at once, whoever made the change (API, CLI, plain SQL).
 */
export class EntitlementsNotify1795640000000 implements MigrationInterface {
  name = 'EntitlementsNotify1795640000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TRIGGER notify_commit AFTER UPDATE ON billing.entitlements_version
       FOR EACH STATEMENT EXECUTE FUNCTION platform.notify_commit('astrix_entitlements')`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER notify_commit ON billing.entitlements_version`);
  }
}
