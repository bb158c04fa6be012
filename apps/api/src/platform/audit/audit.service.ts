import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { Clock } from '../clock';
import { newId } from '../ids';
import { actorReference, RequestContext } from '../auth/actor';
import { AuditLogEntry } from './audit-log-entry.entity';
import { documentColumn, type SqlStatement } from '../database/statements-together';
import { preparedQuery } from '../database/prepared-query';

export interface AuditRecord {
  action: string;
  resourceType: string;
  resourceId: string;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

/** Writes audit rows inside the caller's transaction, so a change and its record commit together. */
@Injectable()
export class AuditService {
  constructor(private readonly clock: Clock) {}

  async record(manager: EntityManager, context: RequestContext, record: AuditRecord): Promise<AuditLogEntry> {
    const entry = manager.create(AuditLogEntry, {
      id: newId('aud'),
      actorType: actorReference(context.actor).type,
      actorId: actorReference(context.actor).id,
      action: record.action,
      resourceType: record.resourceType,
      resourceId: record.resourceId,
      before: record.before ?? null,
      after: record.after ?? null,
      requestId: context.requestId,
      occurredAt: this.clock.now(),
    });
    // jsonb columns hold arbitrary JSON objects, which TypeORM's deep-partial type cannot express.
    await manager.insert(AuditLogEntry, entry as QueryDeepPartialEntity<AuditLogEntry>);
    return entry;
  }

  /** Many records of one actor in one statement (the billing run audits each invoice it issues). */
  async recordMany(manager: EntityManager, context: RequestContext, records: AuditRecord[]): Promise<void> {
    const statement = this.recordStatement(context, records);
    if (statement) await preparedQuery(manager, statement.sql, statement.params);
  }

  /**
   * The statement `recordMany` runs (null for no records), for a caller that runs it together with
   * others (`runStatementsTogether`) in its transaction. With `fill`, each record's before and after are
   * written through that SQL function with the resource's id (documentColumn).
   */
  recordStatement(context: RequestContext, records: AuditRecord[], fill?: string): SqlStatement | null {
    if (records.length === 0) return null;
    const actor = actorReference(context.actor);
    // Raw unnest: building thousands of entity rows through the ORM costs more than the insert itself.
    return {
      sql: `INSERT INTO platform.audit_log
         (id, actor_type, actor_id, action, resource_type, resource_id, before, after, request_id, occurred_at)
       SELECT id, $2, $3, action, resource_type, resource_id, ${documentColumn('before', 'resource_id', fill)}::jsonb,
              ${documentColumn('after', 'resource_id', fill)}::jsonb, $4, $5
         FROM unnest($1::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
           AS r(id, action, resource_type, resource_id, before, after)`,
      params: [
        records.map(() => newId('aud')),
        actor.type,
        actor.id,
        context.requestId,
        this.clock.now(),
        records.map((record) => record.action),
        records.map((record) => record.resourceType),
        records.map((record) => record.resourceId),
        records.map((record) => (record.before ? JSON.stringify(record.before) : null)),
        records.map((record) => (record.after ? JSON.stringify(record.after) : null)),
      ],
    };
  }
}
