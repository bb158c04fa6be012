import { AuditService } from '../../src/platform/audit/audit.service';
import { startTestApp, TestApp } from '../support/test-app';

describe('audit log', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('records every state change with actor, action, resource, before/after and request id', async () => {
    const created = await t.inject({
      method: 'POST',
      url: '/v1/admin/api-keys',
      headers: { ...t.as({ sub: 'admin_audit', roles: ['admin'] }), 'x-request-id': 'req-audit-1' },
      payload: { name: 'audited', scopes: ['usage:write'] },
    });
    const id = created.json().id as string;
    await t.inject({
      method: 'POST',
      url: `/v1/admin/api-keys/${id}/revoke`,
      headers: { ...t.as({ sub: 'admin_audit', roles: ['admin'] }), 'x-request-id': 'req-audit-2' },
    });
    const rows = await t.dataSource.query(
      `SELECT actor_type, actor_id, action, before, after, request_id FROM platform.audit_log
        WHERE resource_type = 'api_key' AND resource_id = $1 ORDER BY id`,
      [id],
    );
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      actor_type: 'user',
      actor_id: 'admin_audit',
      action: 'api_key.created',
      before: null,
      request_id: 'req-audit-1',
    });
    expect(rows[0].after).toMatchObject({ id, name: 'audited', revokedAt: null });
    expect(rows[1]).toMatchObject({ action: 'api_key.revoked', request_id: 'req-audit-2' });
    expect(rows[1].before.revokedAt).toBeNull();
    expect(rows[1].after.revokedAt).toEqual(expect.any(String));
    expect(JSON.stringify(rows)).not.toContain(created.json().key);
  });

  it('is written in the same transaction as the change: a rollback leaves no audit row', async () => {
    const audit = t.app.get(AuditService);
    await expect(
      t.dataSource.transaction(async (manager) => {
        await audit.record(
          manager,
          { actor: { kind: 'system', name: 'test' }, requestId: null },
          {
            action: 'thing.changed',
            resourceType: 'thing',
            resourceId: 'thing_rolled_back',
          },
        );
        throw new Error('change failed after auditing');
      }),
    ).rejects.toThrow('change failed after auditing');
    const rows = await t.dataSource.query(
      `SELECT 1 FROM platform.audit_log WHERE resource_id = 'thing_rolled_back'`,
    );
    expect(rows).toHaveLength(0);
  });

  it('refuses UPDATE, DELETE and TRUNCATE in the database itself', async () => {
    await t.dataSource.transaction((manager) =>
      t.app.get(AuditService).record(
        manager,
        { actor: { kind: 'system', name: 'test' }, requestId: null },
        {
          action: 'thing.changed',
          resourceType: 'thing',
          resourceId: 'thing_immutable',
        },
      ),
    );
    await expect(
      t.dataSource.query(
        `UPDATE platform.audit_log SET action = 'forged' WHERE resource_id = 'thing_immutable'`,
      ),
    ).rejects.toThrow(/append-only: UPDATE is not allowed/);
    await expect(
      t.dataSource.query(`DELETE FROM platform.audit_log WHERE resource_id = 'thing_immutable'`),
    ).rejects.toThrow(/append-only: DELETE is not allowed/);
    await expect(t.dataSource.query('TRUNCATE platform.audit_log')).rejects.toThrow(
      /append-only: TRUNCATE is not allowed/,
    );
    const rows = await t.dataSource.query(
      `SELECT action FROM platform.audit_log WHERE resource_id = 'thing_immutable'`,
    );
    expect(rows).toEqual([{ action: 'thing.changed' }]);
  });
});
