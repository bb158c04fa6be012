import { Body, Controller, Get, Headers, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import {
  MAX_USAGE_BATCH,
  type ReportUsageBatchResponse,
  type ReportUsageResponse,
  type UsageSummary,
} from '@astrix/contracts';
import { Access, CurrentActor } from '../../../platform/auth/access.decorators';
import { type Actor, actorReference } from '../../../platform/auth/actor';
import { AppError, NotFoundError } from '../../../platform/http/app-error';
import { prefersMinimalReturn } from '../../../platform/http/prefer';
import { UsageSummaryQuery } from './dto/usage.dto';
import { UsageIngestService } from './usage-ingest.service';
import { UsageSummaryService } from './usage-summary.service';

const EVENT_SCHEMA = {
  type: 'object',
  required: ['customerId', 'featureId', 'timestamp', 'idempotencyKey'],
  properties: {
    customerId: { type: 'string', description: 'Our customer id or the external reference (user id)' },
    featureId: { type: 'string', example: 'api-calls' },
    quantity: { type: 'integer', default: 1 },
    timestamp: { type: 'string', format: 'date-time' },
    idempotencyKey: { type: 'string' },
    serviceId: { type: 'string' },
    properties: {
      type: 'object',
      additionalProperties: true,
      description: 'string, number, boolean or null values',
    },
    correctionOf: { type: 'string', description: 'Idempotency key of the event this one corrects' },
  },
};

@ApiTags('usage')
@ApiBearerAuth()
@Controller('v1/usage')
export class UsageController {
  constructor(
    private readonly ingest: UsageIngestService,
    private readonly summaries: UsageSummaryService,
  ) {}

  /**
   * The hot path: no class-validator per event (a hand-written parser checks each), no rate limit (the
   * volume of sibling services is the product, and their keys are ours to revoke).
   */
  @Post('events')
  @SkipThrottle()
  @Access({ kind: 'scopes', scopes: ['usage:write'] })
  @HttpCode(200)
  @ApiOperation({
    summary: `Report usage: one event, or {events: [...]} up to ${MAX_USAGE_BATCH}; per-event results in a batch`,
  })
  @ApiBody({
    schema: {
      oneOf: [
        EVENT_SCHEMA,
        { type: 'object', properties: { events: { type: 'array', items: EVENT_SCHEMA } } },
      ],
    },
  })
  @ApiHeader({
    name: 'Prefer',
    required: false,
    description:
      'return=minimal (RFC 7240): a batch is answered with its counts and the results of the events not accepted only (each with its index), and Preference-Applied: return=minimal',
  })
  async report(
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Headers('prefer') prefer: string | undefined,
  ): Promise<ReportUsageBatchResponse | ReportUsageResponse> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new AppError(400, 'VALIDATION_ERROR', 'body must be one usage event or {"events": [...]}');
    }
    const reporter = actorReference(actor).id;
    if (!('events' in body)) return this.single(body, reporter, reply);
    const { events, ...rest } = body as { events: unknown };
    if (Object.keys(rest).length > 0) {
      throw new AppError(
        400,
        'VALIDATION_ERROR',
        `a batch has only "events", not ${Object.keys(rest).join(', ')}`,
      );
    }
    if (!Array.isArray(events) || events.length === 0 || events.length > MAX_USAGE_BATCH) {
      throw new AppError(
        400,
        'VALIDATION_ERROR',
        `events must be an array of 1 to ${MAX_USAGE_BATCH} events`,
        [{ field: 'events', message: `must hold 1 to ${MAX_USAGE_BATCH} events` }],
      );
    }
    const answer = await this.ingest.ingest(events, reporter);
    if (!prefersMinimalReturn(prefer)) return answer;
    // High-volume reporters need the counts and what went wrong, not a thousand acceptances.
    void reply.header('preference-applied', 'return=minimal');
    return { ...answer, results: answer.results.filter((result) => result.status !== 'accepted') };
  }

  private async single(event: object, reporter: string, reply: FastifyReply): Promise<ReportUsageResponse> {
    const [result] = (await this.ingest.ingest([event], reporter)).results;
    if (result.status === 'rejected') {
      const status = result.reason === 'invalid_event' ? 400 : 422;
      throw new AppError(
        status,
        result.reason === 'invalid_event' ? 'VALIDATION_ERROR' : 'USAGE_REJECTED',
        result.message,
        [{ field: result.reason, message: result.message }],
      );
    }
    const input = event as { customerId: string; idempotencyKey: string };
    const stored = await this.ingest.storedEvent(input.customerId, input.idempotencyKey);
    if (!stored) throw new Error('usage event stored but not found');
    void reply.status(result.status === 'accepted' ? 201 : 200);
    return { status: result.status, event: stored };
  }

  @Get('summary')
  @Access(
    { kind: 'scopes', scopes: ['usage:read'] },
    { kind: 'roles', roles: ['support', 'finance'] },
    { kind: 'user' },
  )
  @ApiOperation({
    summary:
      "A feature's usage over a range (default: the current period) and per UTC day; users see their own",
  })
  async summary(@Query() query: UsageSummaryQuery, @CurrentActor() actor: Actor): Promise<UsageSummary> {
    let customerId = query.customerId;
    if (actor.kind === 'user' && !isStaff(actor.roles)) {
      const own = await this.summaries.customerIdOf(actor.userId);
      if (!own || (customerId && customerId !== own && customerId !== actor.userId)) {
        throw new NotFoundError('customer', (customerId ?? actor.userId).slice(0, 64));
      }
      customerId = own;
    }
    if (!customerId) {
      throw new AppError(400, 'VALIDATION_ERROR', 'customerId is required', [
        { field: 'customerId', message: 'is required' },
      ]);
    }
    return this.summaries.summary({
      customerId,
      featureId: query.featureId,
      from: query.from ? new Date(query.from) : undefined,
      to: query.to ? new Date(query.to) : undefined,
    });
  }
}

export function isStaff(roles: string[]): boolean {
  return roles.some((role) => role === 'support' || role === 'finance' || role === 'admin');
}
