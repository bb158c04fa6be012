import { EventEmitter } from 'node:events';
import { Body, Controller, Get, Injectable, Module, Post, Query } from '@nestjs/common';
import { IsBoolean, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { Transform } from 'class-transformer';
import { EntityManager } from 'typeorm';
import type { AstrixEvent } from '@astrix/contracts';
import { Public, Scopes, UserAuth } from '../../src/platform/auth/access.decorators';
import { AuditService } from '../../src/platform/audit/audit.service';
import { OnEvent } from '../../src/platform/events/event-handler.decorator';
import { AppError } from '../../src/platform/http/app-error';

class EchoBody {
  @IsString()
  value!: string;

  @IsInt()
  @Min(0)
  amount!: number;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(5000)
  delayMs?: number;

  @IsOptional()
  @IsBoolean()
  fail?: boolean;
}

class SlowQuery {
  @Transform(({ value }: { value: string }) => Number(value))
  @IsInt()
  @Min(0)
  @Max(5000)
  ms!: number;
}

/** Tells a test that a slow request has reached its handler (so it is in flight, not queued). */
export const slowRequestsStarted = new EventEmitter();

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Counts real executions, so tests can tell a replay from a second run. */
@Injectable()
export class ProbeCounter {
  executions = 0;
}

/** Endpoints that exist only in tests, to exercise the platform's cross-cutting behaviour. */
@Controller('v1/test-probe')
export class ProbeController {
  constructor(private readonly counter: ProbeCounter) {}

  @Post('echo')
  @UserAuth()
  async echo(@Body() body: EchoBody): Promise<{ value: string; amount: number; execution: number }> {
    if (body.delayMs) await sleep(body.delayMs);
    if (body.fail) throw new AppError(400, 'BAD_REQUEST', 'asked to fail');
    this.counter.executions += 1;
    return { value: body.value, amount: body.amount, execution: this.counter.executions };
  }

  @Get('scoped')
  @Scopes('usage:write')
  scoped(): { ok: true } {
    return { ok: true };
  }

  @Get('boom')
  @Public()
  boom(): never {
    throw new Error('connection string postgres://secret@db leaked?');
  }

  @Get('slow')
  @Public()
  async slow(@Query() query: SlowQuery): Promise<{ sleptMs: number }> {
    slowRequestsStarted.emit('started');
    await sleep(query.ms);
    return { sleptMs: query.ms };
  }

  @Get('undeclared')
  undeclared(): { reached: true } {
    return { reached: true };
  }
}

/** A consumer whose effect (an audit row per event) shows how many times it really ran. */
@Injectable()
export class ProbeConsumer {
  constructor(private readonly audit: AuditService) {}

  @OnEvent('platform.api_key.created', 'test.probe-consumer')
  async onApiKeyCreated(event: AstrixEvent, manager: EntityManager): Promise<void> {
    if (event.type === 'platform.api_key.created' && event.data.name.startsWith('fail-')) {
      throw new Error('probe consumer asked to fail');
    }
    await this.audit.record(
      manager,
      { actor: { kind: 'system', name: 'probe' }, requestId: null },
      {
        action: 'probe.consumed',
        resourceType: 'event',
        resourceId: event.id,
      },
    );
  }
}

@Module({ controllers: [ProbeController], providers: [ProbeCounter, ProbeConsumer] })
export class ProbeModule {}
