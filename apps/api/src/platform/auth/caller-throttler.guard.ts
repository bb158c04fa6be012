import { Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { clientOrigin } from '../http/client-origin';
import { actorId, Actor } from './actor';

/** Rate limits per caller (user or API key); anonymous requests per client address (client-origin.ts). */
@Injectable()
export class CallerThrottlerGuard extends ThrottlerGuard {
  protected override getTracker(request: Record<string, unknown>): Promise<string> {
    const actor = request.actor as Actor | undefined;
    return Promise.resolve(actor ? actorId(actor) : `ip:${clientOrigin(request).ip}`);
  }
}
