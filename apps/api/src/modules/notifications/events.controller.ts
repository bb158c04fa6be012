import { Controller, Get, Headers, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import type { DeliveredEvent, Page, StreamTokenView } from '@astrix/contracts';
import {
  AuthenticatedRequest,
  CurrentActor,
  Roles,
  UserAuth,
  UserOrStreamToken,
} from '../../platform/auth/access.decorators';
import { Actor, STAFF_ROLES } from '../../platform/auth/actor';
import { StreamTokens } from '../../platform/auth/stream-tokens';
import { AppError } from '../../platform/http/app-error';
import { ShowsSecretOnce } from '../../platform/idempotency/shows-secret-once.decorator';
import { AdminEventsQuery, EventsQuery, StreamQuery } from './dto';
import { EventHistoryService } from './event-history.service';
import { EventStreamService } from './event-stream.service';

const userIdOf = (actor: Actor): string => {
  if (actor.kind !== 'user') throw new AppError(403, 'FORBIDDEN', 'events belong to users');
  return actor.userId;
};

@ApiTags('billing: events')
@ApiBearerAuth()
@Controller('v1/billing')
export class BillingEventsController {
  constructor(
    private readonly history: EventHistoryService,
    private readonly stream: EventStreamService,
    private readonly streamTokens: StreamTokens,
  ) {}

  @Get('events')
  @UserAuth()
  @ApiOperation({ summary: "The caller's own events, newest first, each with its sequence per subject" })
  list(@Query() query: EventsQuery, @CurrentActor() actor: Actor): Promise<Page<DeliveredEvent>> {
    return this.history.list({ ...query, viewer: 'trader', userId: userIdOf(actor) });
  }

  @Post('stream-tokens')
  @UserAuth()
  @ShowsSecretOnce('mint a new stream token')
  @ApiOperation({
    summary:
      'A short-lived token for GET /v1/billing/stream?token=… (EventSource cannot send Authorization); valid on the stream only',
  })
  createStreamToken(@CurrentActor() actor: Actor): StreamTokenView {
    if (actor.kind !== 'user') throw new AppError(403, 'FORBIDDEN', 'events belong to users');
    return this.streamTokens.mint(actor);
  }

  @Get('stream')
  @UserOrStreamToken()
  @SkipThrottle()
  @ApiProduces('text/event-stream')
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'resume after this event id' })
  @ApiOperation({
    summary: "Server-Sent Events of the caller's events (staff: ?userId= for a customer's), resumable",
  })
  async open(
    @Query() query: StreamQuery,
    @Headers('last-event-id') lastEventId: string | undefined,
    @CurrentActor() actor: Actor,
    @Req() request: AuthenticatedRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const own = userIdOf(actor);
    let userId = own;
    if (query.userId && query.userId !== own) {
      const staff =
        actor.kind === 'user' &&
        actor.roles.some((role) => (STAFF_ROLES as readonly string[]).includes(role));
      if (!staff) throw new AppError(403, 'FORBIDDEN', "only staff may stream another user's events");
      userId = query.userId;
    }
    reply.hijack();
    reply.raw.setHeader('x-request-id', String(request.id));
    await this.stream.serve(reply.raw, userId, lastEventId?.trim() || query.lastEventId?.trim() || undefined);
  }
}

@ApiTags('admin: events')
@ApiBearerAuth()
@Roles('support', 'finance')
@Controller('v1/admin/events')
export class AdminEventsController {
  constructor(private readonly history: EventHistoryService) {}

  @Get()
  @ApiOperation({
    summary: 'Event history, newest first; filter by customer (user or cust_ id), type and time',
  })
  list(@Query() query: AdminEventsQuery): Promise<Page<DeliveredEvent>> {
    return this.history.list({
      viewer: 'staff',
      limit: query.limit,
      cursor: query.cursor,
      type: query.type,
      customerId: query.customerId,
      from: query.from ? new Date(query.from) : undefined,
      to: query.to ? new Date(query.to) : undefined,
    });
  }
}
