import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';

/** How long an in-flight claim holds a key before a retry may take it over (the first caller died). */
export const ABANDONED_CLAIM_MS = 5 * 60_000;

export interface IdempotentRequest {
  callerId: string;
  key: string;
  method: string;
  path: string;
  requestHash: string;
}

export type ClaimOutcome =
  | { kind: 'claimed' }
  | { kind: 'replay'; status: number; body: unknown }
  | { kind: 'in_progress' }
  | { kind: 'mismatch' };

interface StoredRow {
  request_hash: string;
  state: 'in_progress' | 'completed';
  response_status: number | null;
  response_body: unknown;
  locked_at: Date;
  expires_at: Date;
}

/** Real time, never the sandbox clock: a key's life and a claim's age are about requests, not days. */
const realNow = (): Date => new Date();

/**
 * Postgres-backed record of first responses per (caller, Idempotency-Key). Ages on real time, as
 * Stripe's keys do under its test clocks: on the business Clock, a sandbox clock moved days ahead
 * made every in-flight claim look abandoned, and a retry ran the request a second time.
 */
@Injectable()
export class IdempotencyStore {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  async claim(request: IdempotentRequest, attempt = 0): Promise<ClaimOutcome> {
    const now = realNow();
    const expiresAt = new Date(now.getTime() + this.config.idempotencyTtlHours * 3600_000);
    const inserted: unknown[] = await this.dataSource.query(
      `INSERT INTO platform.idempotency_records
         (caller_id, key, method, path, request_hash, state, created_at, locked_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, 'in_progress', $6, $6, $7)
       ON CONFLICT (caller_id, key) DO NOTHING
       RETURNING key`,
      [request.callerId, request.key, request.method, request.path, request.requestHash, now, expiresAt],
    );
    if (inserted.length === 1) return { kind: 'claimed' };

    const [row] = (await this.dataSource.query(
      `SELECT request_hash, state, response_status, response_body, locked_at, expires_at
         FROM platform.idempotency_records WHERE caller_id = $1 AND key = $2`,
      [request.callerId, request.key],
    )) as StoredRow[];
    if (!row || row.expires_at.getTime() <= now.getTime()) {
      // Gone or expired between our insert and select: clear it and claim afresh, once.
      if (attempt > 0) return { kind: 'in_progress' };
      await this.dataSource.query(
        `DELETE FROM platform.idempotency_records WHERE caller_id = $1 AND key = $2 AND expires_at <= $3`,
        [request.callerId, request.key, now],
      );
      return this.claim(request, attempt + 1);
    }
    if (row.request_hash !== request.requestHash) return { kind: 'mismatch' };
    if (row.state === 'completed')
      return { kind: 'replay', status: row.response_status ?? 200, body: row.response_body };
    if (now.getTime() - row.locked_at.getTime() < ABANDONED_CLAIM_MS) return { kind: 'in_progress' };
    const [takenOver] = (await this.dataSource.query(
      `UPDATE platform.idempotency_records SET locked_at = $3
        WHERE caller_id = $1 AND key = $2 AND state = 'in_progress' AND locked_at = $4 RETURNING key`,
      [request.callerId, request.key, now, row.locked_at],
    )) as [unknown[], number];
    return takenOver.length === 1 ? { kind: 'claimed' } : { kind: 'in_progress' };
  }

  async complete(callerId: string, key: string, status: number, body: unknown): Promise<void> {
    await this.dataSource.query(
      `UPDATE platform.idempotency_records
          SET state = 'completed', response_status = $3, response_body = $4::jsonb
        WHERE caller_id = $1 AND key = $2`,
      [callerId, key, status, JSON.stringify(body ?? null)],
    );
  }

  /** A failed request stores nothing: the key is released so the caller can retry. */
  async release(callerId: string, key: string): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM platform.idempotency_records WHERE caller_id = $1 AND key = $2 AND state = 'in_progress'`,
      [callerId, key],
    );
  }

  async purgeExpired(): Promise<number> {
    const deleted: [unknown[], number] = await this.dataSource.query(
      `DELETE FROM platform.idempotency_records WHERE expires_at < $1`,
      [realNow()],
    );
    return deleted[1];
  }
}
