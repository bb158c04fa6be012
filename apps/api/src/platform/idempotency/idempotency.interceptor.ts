import { createHash } from 'node:crypto';
import { CallHandler, ExecutionContext, HttpStatus, Injectable, NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { catchError, from, mergeMap, Observable, of } from 'rxjs';
import { actorId } from '../auth/actor';
import type { AuthenticatedRequest } from '../auth/access.decorators';
import { AppError } from '../http/app-error';
import { canonicalJson } from './canonical-json';
import { IdempotencyStore } from './idempotency.store';
import { REQUIRES_IDEMPOTENCY_KEY } from './requires-idempotency-key.decorator';
import { containsSecret, isSecretShownMarker, secretShownMarker } from './secret-marker';
import { SHOWS_SECRET_ONCE } from './shows-secret-once.decorator';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
const ACCEPTABLE_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * `Idempotency-Key` on any POST: the first successful response is stored and replayed for the same
 * key and body; another body with the same key is refused (422), a duplicate still running gets 409.
 * A route marked `@RequiresIdempotencyKey()` (it moves money) refuses a POST without the header
 * (400 `IDEMPOTENCY_KEY_REQUIRED`) before its handler runs.
 * A response carrying a secret (`@ShowsSecretOnce()`, or anything `containsSecret` spots) is never
 * stored: the record keeps a marker and a replay gets 409 `SECRET_ALREADY_SHOWN`.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly store: IdempotencyStore,
    private readonly reflector: Reflector,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers[IDEMPOTENCY_HEADER];
    if (header === undefined && request.method === 'POST' && this.requiresKey(context)) {
      throw new AppError(
        400,
        'IDEMPOTENCY_KEY_REQUIRED',
        'this request moves money: send an Idempotency-Key header (a new unique value, e.g. a UUID, per operation; reuse it only to retry)',
        [{ field: 'Idempotency-Key', message: 'is required' }],
      );
    }
    // Public endpoints (Stripe webhooks) de-duplicate by their own ids; they have no caller to scope keys to.
    if (request.method !== 'POST' || header === undefined || !request.actor) return next.handle();
    const key = Array.isArray(header) ? header[0] : header;
    if (!ACCEPTABLE_KEY.test(key)) {
      throw new AppError(
        400,
        'VALIDATION_ERROR',
        'Idempotency-Key must be 1-255 printable ASCII characters',
        [{ field: 'Idempotency-Key', message: 'must be 1-255 printable ASCII characters' }],
      );
    }
    const callerId = actorId(request.actor);
    const path = request.url;
    const requestHash = createHash('sha256')
      .update(`${request.method} ${path}\n${canonicalJson(request.body)}`)
      .digest('hex');
    const outcome = await this.store.claim({ callerId, key, method: request.method, path, requestHash });

    switch (outcome.kind) {
      case 'mismatch':
        throw new AppError(
          422,
          'IDEMPOTENCY_KEY_REUSED',
          'this Idempotency-Key was already used with a different request; use a new key',
        );
      case 'in_progress':
        throw new AppError(
          409,
          'IDEMPOTENCY_KEY_IN_USE',
          'a request with this Idempotency-Key is still in progress',
        );
      case 'replay':
        if (isSecretShownMarker(outcome.body)) {
          throw new AppError(
            409,
            'SECRET_ALREADY_SHOWN',
            `the secret was shown once, in the first response to this Idempotency-Key, and is not kept; ${
              outcome.body.hint ?? 'create a new one'
            }`,
          );
        }
        void context.switchToHttp().getResponse<FastifyReply>().header('idempotent-replayed', 'true');
        return of(outcome.body);
      case 'claimed': {
        const status =
          this.reflector.get<number | undefined>(HTTP_CODE_METADATA, context.getHandler()) ??
          HttpStatus.CREATED;
        return next.handle().pipe(
          mergeMap((body: unknown) =>
            from(this.store.complete(callerId, key, status, this.storable(context, body)).then(() => body)),
          ),
          catchError((error: unknown) =>
            from(
              this.store.release(callerId, key).then(() => {
                throw error;
              }),
            ),
          ),
        );
      }
    }
  }

  /** The body to keep for replays: a marker instead of a response that carries a secret. */
  private storable(context: ExecutionContext, body: unknown): unknown {
    const hint = this.reflector.get<string | undefined>(SHOWS_SECRET_ONCE, context.getHandler());
    if (hint !== undefined) return secretShownMarker(hint);
    return containsSecret(body) ? secretShownMarker('ask for a new one') : body;
  }

  private requiresKey(context: ExecutionContext): boolean {
    return (
      this.reflector.getAllAndOverride<boolean | undefined>(REQUIRES_IDEMPOTENCY_KEY, [
        context.getHandler(),
        context.getClass(),
      ]) === true
    );
  }
}
