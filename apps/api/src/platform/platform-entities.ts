import { AuditLogEntry } from './audit/audit-log-entry.entity';
import { ApiKey } from './auth/api-key.entity';
import { InboxEntry } from './events/inbox-entry.entity';
import { OutboxEvent } from './events/outbox-event.entity';
import { IdempotencyRecord } from './idempotency/idempotency-record.entity';

export const PLATFORM_ENTITIES = [ApiKey, AuditLogEntry, IdempotencyRecord, InboxEntry, OutboxEvent];
