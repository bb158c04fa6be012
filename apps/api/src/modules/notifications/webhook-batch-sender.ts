import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { type AstrixEvent, WEBHOOK_HEADERS } from '@astrix/contracts';
import { AppConfig } from '../../platform/config/app-config';
import { Clock } from '../../platform/clock';
import { SecretBoxError } from '../../platform/crypto/secret-box';
import { newId } from '../../platform/ids';
import { nextAttemptAfter } from './retry-schedule';
import { signatureHeader } from './signing';
import type { WebhookPostResult } from './webhook-http';
import { OutboundMetrics, WebhookAttemptOutcome } from './outbound-metrics';
import { WebhookPools } from './webhook-pools';
import { WebhookSecrets } from './webhook-secrets';
import { signingSecrets, WebhookSender } from './webhook-sender.service';
import type { WebhookEndpoint } from './webhook-endpoint.entity';

/** A queued attempt not recorded after this long (its job was lost) is due again. */
export const REQUEUE_AFTER_MS = 10 * 60_000;
/** First key of the transaction-scoped advisory lock an endpoint's sender holds (second: hashtext(endpoint id)). */
const ENDPOINT_LOCK_KEY = 0x0b7b_0002;

interface DueRow {
  id: string;
  endpoint_id: string;
  event_id: string;
  attempts: number;
  url: string;
  endpoint_status: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
  envelope: AstrixEvent | null;
  sequence: number | null;
}

interface Outcome {
  row: DueRow;
  startedAt: Date;
  result: WebhookPostResult;
  giveUp: boolean;
}

/**
 * Sends due webhook deliveries in batches, from the process that claims them, and records the
 * results in batches. One round is one transaction:
 * 1. take the transaction-scoped advisory lock of every endpoint with due deliveries that no other
 *    process holds (so one process at a time sends to an endpoint), and lock up to `limit` of
 *    their due deliveries, oldest event first (outbox position);
 * 2. send them: per endpoint, on its one keep-alive connection in that order (WebhookPools),
 *    endpoints side by side;
 * 3. insert the attempts and update the deliveries with one statement each, track each endpoint's
 *    health once, and commit.
 * A crash or a lost database connection before the commit rolls the round back: the deliveries are
 * still pending and due, and the next round (in this or another process) sends them again under
 * the same webhook-id — at least once, never marked delivered without a 2xx.
 */
@Injectable()
export class WebhookBatchSender implements OnApplicationShutdown {
  private readonly logger = new Logger(WebhookBatchSender.name);
  private readonly pools = new WebhookPools();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly secrets: WebhookSecrets,
    private readonly sender: WebhookSender,
    private readonly metrics: OutboundMetrics,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.pools.close();
  }

  /** One round; returns how many deliveries were attempted. */
  async sendDue(limit: number): Promise<number> {
    // Most wake-ups (every history row commits one) find nothing due: one statement, no transaction.
    const [{ due }] = (await this.dataSource.query(
      `SELECT EXISTS (SELECT 1 FROM platform.webhook_deliveries
                       WHERE status = 'pending' AND next_attempt_at <= $1) AS due`,
      [this.clock.now()],
    )) as Array<{ due: boolean }>;
    if (!due) return 0;
    const recorded = await this.dataSource.transaction(async (manager) => {
      const now = this.clock.now();
      const due = (await manager.query(
        `WITH due_endpoints AS (
           SELECT DISTINCT endpoint_id FROM platform.webhook_deliveries
            WHERE status = 'pending' AND next_attempt_at <= $1 AND (queued_at IS NULL OR queued_at < $2)),
         mine AS (
           SELECT endpoint_id FROM due_endpoints WHERE pg_try_advisory_xact_lock($4, hashtext(endpoint_id)))
         SELECT d.id, d.endpoint_id, d.event_id, d.attempts, e.url, e.status AS endpoint_status, e.secret,
                e.previous_secret, e.previous_secret_expires_at, h.envelope, h.sequence
           FROM platform.webhook_deliveries d
           JOIN mine ON mine.endpoint_id = d.endpoint_id
           JOIN platform.webhook_endpoints e ON e.id = d.endpoint_id
           LEFT JOIN platform.event_history h ON h.event_id = d.event_id
          WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND (d.queued_at IS NULL OR d.queued_at < $2)
          ORDER BY h.outbox_position, d.id
          LIMIT $3
          FOR UPDATE OF d SKIP LOCKED`,
        [now, new Date(now.getTime() - REQUEUE_AFTER_MS), limit, ENDPOINT_LOCK_KEY],
      )) as DueRow[];
      if (due.length === 0) return [];
      const byEndpoint = new Map<string, DueRow[]>();
      for (const row of due) {
        const rows = byEndpoint.get(row.endpoint_id);
        if (rows) rows.push(row);
        else byEndpoint.set(row.endpoint_id, [row]);
      }
      const outcomes = (
        await Promise.all([...byEndpoint.values()].map((rows) => this.sendToEndpoint(rows, now)))
      ).flat();
      return this.record(manager, outcomes);
    });
    for (const outcome of recorded) this.metrics.attempted(outcome);
    return recorded.length;
  }

  /** Sends one endpoint's deliveries in order on its connection; resolves when all are answered. */
  private async sendToEndpoint(rows: DueRow[], now: Date): Promise<Outcome[]> {
    const [first] = rows;
    const startedAt = this.clock.now();
    const without = (error: string, giveUp: boolean): Outcome[] =>
      rows.map((row) => ({
        row,
        startedAt,
        giveUp,
        result: { statusCode: null, response: null, error, durationMs: 0 },
      }));
    if (first.endpoint_status !== 'enabled') return without('endpoint disabled', true);
    let secrets: string[];
    try {
      const endpoint = {
        sealedSecret: first.secret,
        previousSealedSecret: first.previous_secret,
        previousSecretExpiresAt: first.previous_secret_expires_at,
      } as WebhookEndpoint;
      secrets = signingSecrets(endpoint, now).map((sealed) => this.secrets.open(sealed, first.endpoint_id));
    } catch (error) {
      if (!(error instanceof SecretBoxError)) throw error;
      // Nothing is sent unsigned: retried on schedule (docs/runbooks/secrets.md).
      const reason = `signing secret cannot be decrypted: ${error.message}`;
      this.logger.error(`webhook endpoint ${first.endpoint_id}: ${reason}`);
      return without(reason, false);
    }
    const { allowPrivateNetworks, allowHttp, timeoutMs } = this.config.outboundWebhooks;
    const target = await this.pools.prepare(first.endpoint_id, first.url, {
      allowPrivateNetworks,
      allowHttp,
    });
    if ('refused' in target) return without(target.refused, false);
    const timestamp = Math.floor(startedAt.getTime() / 1000);
    return Promise.all(
      rows.map(async (row): Promise<Outcome> => {
        if (!row.envelope) return { ...without('event not in history', true)[0], row };
        const body = JSON.stringify({ ...row.envelope, sequence: row.sequence });
        const result = await this.pools.post(
          target,
          {
            [WEBHOOK_HEADERS.id]: row.event_id,
            [WEBHOOK_HEADERS.timestamp]: String(timestamp),
            [WEBHOOK_HEADERS.signature]: signatureHeader(secrets, row.event_id, timestamp, body),
          },
          body,
          timeoutMs,
        );
        return { row, startedAt, result, giveUp: false };
      }),
    );
  }

  /** Attempts and delivery states in one statement each; endpoint health once per endpoint. */
  private async record(manager: EntityManager, outcomes: Outcome[]): Promise<Array<WebhookAttemptOutcome>> {
    const now = this.clock.now();
    const states = outcomes.map(({ row, result, giveUp }) => {
      const succeeded = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
      const attempt = row.attempts + 1;
      const next = succeeded || giveUp ? null : nextAttemptAfter(attempt, now);
      const outcome: WebhookAttemptOutcome = succeeded ? 'succeeded' : next ? 'retrying' : 'failed';
      return { succeeded, attempt, next, outcome };
    });
    await manager.query(
      `INSERT INTO platform.webhook_delivery_attempts
         (id, delivery_id, attempt, started_at, duration_ms, status_code, response, error)
       SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::timestamptz[], $5::int[], $6::int[], $7::text[], $8::text[])`,
      [
        outcomes.map(() => newId('wha')),
        outcomes.map(({ row }) => row.id),
        states.map(({ attempt }) => attempt),
        outcomes.map(({ startedAt }) => startedAt.toISOString()),
        outcomes.map(({ result }) => result.durationMs),
        outcomes.map(({ result }) => result.statusCode),
        outcomes.map(({ result }) => result.response),
        outcomes.map(({ result }) => result.error?.slice(0, 500) ?? null),
      ],
    );
    await manager.query(
      `UPDATE platform.webhook_deliveries d
          SET attempts = u.attempt, status = u.status, next_attempt_at = u.next_attempt_at, queued_at = NULL,
              last_status_code = u.status_code, completed_at = u.completed_at
         FROM unnest($1::text[], $2::int[], $3::text[], $4::timestamptz[], $5::int[], $6::timestamptz[])
           AS u(id, attempt, status, next_attempt_at, status_code, completed_at)
        WHERE d.id = u.id`,
      [
        outcomes.map(({ row }) => row.id),
        states.map(({ attempt }) => attempt),
        states.map(({ outcome }) => (outcome === 'retrying' ? 'pending' : outcome)),
        states.map(({ next }) => next?.toISOString() ?? null),
        outcomes.map(({ result }) => result.statusCode),
        states.map(({ next }) => (next ? null : now.toISOString())),
      ],
    );
    // Health: a success in the round heals the endpoint; otherwise its failures count from the first.
    const health = new Map<string, { succeeded: boolean; startedAt: Date }>();
    outcomes.forEach(({ row, startedAt, giveUp }, index) => {
      if (giveUp) return;
      const seen = health.get(row.endpoint_id);
      health.set(row.endpoint_id, {
        succeeded: (seen?.succeeded ?? false) || states[index].succeeded,
        startedAt: seen && seen.startedAt < startedAt ? seen.startedAt : startedAt,
      });
    });
    for (const [endpointId, { succeeded, startedAt }] of health)
      await this.sender.trackEndpointHealth(manager, endpointId, succeeded, startedAt, now);
    return states.map(({ outcome }) => outcome);
  }
}
