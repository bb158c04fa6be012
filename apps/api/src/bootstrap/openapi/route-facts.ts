import type { INestApplication } from '@nestjs/common';
import { METHOD_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { ACCESS_METADATA, type AccessRule } from '../../platform/auth/access.decorators';
import { REQUIRES_IDEMPOTENCY_KEY } from '../../platform/idempotency/requires-idempotency-key.decorator';

/** What the document post-processor needs to know of a routed controller method. */
export interface RouteFacts {
  /** Rules of `@Public`, `@UserAuth`, `@Roles`, `@Scopes`, `@Access` (method over class, as AuthGuard reads them). */
  access: AccessRule[];
  requiresIdempotencyKey: boolean;
  /** `@SkipThrottle()`: no rate limit, no 429. */
  unthrottled: boolean;
  /** `@ApiProduces(...)`: media types of a body the handler writes itself (an event stream). */
  produces: string[];
}

const THROTTLER_SKIP = 'THROTTLER:SKIPdefault';
/** Where `@ApiProduces` keeps its media types (@nestjs/swagger's DECORATORS.API_PRODUCES). */
const API_PRODUCES = 'swagger/apiProduces';

type Handler = (...args: unknown[]) => unknown;

/**
 * Facts per operation id (Nest Swagger's default: `ControllerClass_method`), read from the same
 * decorator metadata the guard and interceptors act on, so the document says what the code does.
 */
export function routeFacts(app: INestApplication): Map<string, RouteFacts> {
  const facts = new Map<string, RouteFacts>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (typeof controller !== 'function') continue;
      const prototype = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        if (Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
        const read = <T>(key: string): T | undefined =>
          (Reflect.getMetadata(key, handler as Handler) as T | undefined) ??
          (Reflect.getMetadata(key, controller) as T | undefined);
        facts.set(`${controller.name}_${name}`, {
          access: read<AccessRule[]>(ACCESS_METADATA) ?? [],
          requiresIdempotencyKey: read<boolean>(REQUIRES_IDEMPOTENCY_KEY) === true,
          unthrottled: read<boolean>(THROTTLER_SKIP) === true,
          produces: read<string[]>(API_PRODUCES) ?? [],
        });
      }
    }
  }
  return facts;
}
