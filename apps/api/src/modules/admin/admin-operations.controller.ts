import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { OutboxBacklogView, Page, QueueCountsView, QueueJobView } from '@astrix/contracts';
import type { RequestContext } from '../../platform/auth/actor';
import { CurrentContext, Roles } from '../../platform/auth/access.decorators';
import { OutboxBacklog } from '../../platform/events/outbox-backlog.service';
import { QueueJobsQuery } from './dto/admin.dto';
import { QueueOperations, queueNameOf } from './queue-operations.service';

@ApiTags('admin: operations')
@ApiBearerAuth()
@Controller('v1/admin')
export class AdminOperationsController {
  constructor(
    private readonly queues: QueueOperations,
    private readonly outbox: OutboxBacklog,
  ) {}

  @Get('queues')
  @Roles('support', 'finance')
  @ApiOperation({ summary: 'Every queue with its job counts per state' })
  async counts(): Promise<{ data: QueueCountsView[] }> {
    return { data: await this.queues.counts() };
  }

  @Get('queues/:queue/jobs')
  @Roles('support', 'finance')
  @ApiOperation({ summary: 'Jobs of a queue in a state (failed by default), newest first' })
  jobs(@Param('queue') queue: string, @Query() query: QueueJobsQuery): Promise<Page<QueueJobView>> {
    return this.queues.list(queueNameOf(queue), query.state, query);
  }

  @Post('queues/:queue/jobs/:jobId/retry')
  @HttpCode(202)
  @Roles('support', 'finance')
  @ApiOperation({ summary: 'Run a failed job again' })
  retry(
    @Param('queue') queue: string,
    @Param('jobId') jobId: string,
    @CurrentContext() context: RequestContext,
  ): Promise<QueueJobView> {
    return this.queues.retry(queueNameOf(queue), jobId, context);
  }

  @Post('queues/:queue/jobs/:jobId/discard')
  @HttpCode(200)
  @Roles('admin')
  @ApiOperation({ summary: 'Delete a failed job for good (audited)' })
  discard(
    @Param('queue') queue: string,
    @Param('jobId') jobId: string,
    @CurrentContext() context: RequestContext,
  ): Promise<QueueJobView> {
    return this.queues.discard(queueNameOf(queue), jobId, context);
  }

  @Get('outbox')
  @Roles('support', 'finance')
  @ApiOperation({ summary: 'Events committed but not yet published: count, age, types, failures' })
  backlog(): Promise<OutboxBacklogView> {
    return this.outbox.describe();
  }
}
