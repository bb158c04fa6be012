import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { Clock } from '../clock';
import { newId } from '../ids';
import { actorReference, RequestContext } from '../auth/actor';
import { AuditLogEntry } from './audit-log-entry.entity';

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
}
