import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import type { RequestContext } from '../auth/actor';
import { CurrentContext, Roles } from '../auth/access.decorators';
import { AuditService } from '../audit/audit.service';
import { Clock } from '../clock';
import { AppError } from '../http/app-error';
import { RequiresIdempotencyKey } from '../idempotency/requires-idempotency-key.decorator';
import { PaymentProcessorHost } from '../payment-processor/payment-processor.provider';
import { SandboxClock } from './sandbox-clock';

/** At most a year per call; call again to go further. */
const MAX_ADVANCE_SECONDS = 366 * 86_400;

export class AdvanceSandboxClock {
  @ApiProperty({
    description: 'How far to move the clock forward, in seconds (86400 = a day)',
    example: 86_400,
  })
  @IsInt()
  @Min(1)
  @Max(MAX_ADVANCE_SECONDS)
  seconds!: number;
}

export interface SandboxClockView {
  /** The sandbox's "now" (ISO 8601). */
  now: string;
  /** How far ahead of the real clock it is, in seconds. */
  offsetSeconds: number;
  /** Whether the sandbox fake Stripe's clock was moved with it (false with a real Stripe key). */
  stripeClockMoved: boolean;
}

/**
 * The sandbox clock: read it, and move it forward for every process (billing runs, period ends,
 * trials, dunning retries and recognition then act as on that day) and the sandbox fake Stripe with
 * it, as Stripe's test clocks do. Answers 404 SANDBOX_CLOCK_OFF unless SANDBOX_CLOCK=true in the
 * sandbox: never in production, where the clock is the system's.
 */
@ApiTags('admin: sandbox')
@ApiBearerAuth()
@Roles('admin')
@Controller('v1/admin/sandbox/clock')
export class SandboxClockController {
  constructor(
    private readonly clock: Clock,
    private readonly processor: PaymentProcessorHost,
    private readonly audit: AuditService,
  ) {}

  @Get()
  @ApiOperation({
    summary: "The sandbox clock's now and how far ahead of the real clock it is (sandbox only)",
  })
  async read(): Promise<SandboxClockView> {
    const clock = this.sandboxClock();
    await clock.refresh();
    return this.view(clock, false);
  }

  @Post('advance')
  @RequiresIdempotencyKey()
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Move the sandbox clock forward for every process, and the sandbox Stripe with it (sandbox only, audited)',
  })
  async advance(
    @Body() body: AdvanceSandboxClock,
    @CurrentContext() context: RequestContext,
  ): Promise<SandboxClockView> {
    const clock = this.sandboxClock();
    const now = await clock.advance(body.seconds * 1000, (manager, before, after) =>
      this.audit.record(manager, context, {
        action: 'sandbox.clock.advanced',
        resourceType: 'sandbox_clock',
        resourceId: 'sandbox',
        before: { now: before.toISOString() },
        after: { now: after.toISOString(), seconds: body.seconds },
      }),
    );
    const stripeClockMoved = await this.processor.moveSandboxClock(now);
    return this.view(clock, stripeClockMoved);
  }

  private sandboxClock(): SandboxClock {
    if (this.clock instanceof SandboxClock) return this.clock;
    throw new AppError(
      404,
      'SANDBOX_CLOCK_OFF',
      'the sandbox clock is off: it needs SANDBOX_CLOCK=true in the sandbox (ASTRIX_SANDBOX=true, or NODE_ENV=development or test) and is never on in production',
    );
  }

  private view(clock: SandboxClock, stripeClockMoved: boolean): SandboxClockView {
    return {
      now: clock.now().toISOString(),
      offsetSeconds: Math.floor(clock.offset / 1000),
      stripeClockMoved,
    };
  }
}
