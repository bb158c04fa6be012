import { Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { actorId, Actor } from './actor';

/** Rate limits per caller (user or API key); anonymous requests per client address. */
@Injectable()
export class CallerThrottlerGuard extends ThrottlerGuard {
  protected override getTracker(request: Record<string, unknown>): Promise<string> {
    const actor = request.actor as Actor | undefined;
    return Promise.resolve(actor ? actorId(actor) : `ip:${String(request.ip)}`);
  }
}
