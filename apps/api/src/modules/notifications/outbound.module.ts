import { DynamicModule, Module } from '@nestjs/common';
import { EventHistoryConsumer } from './event-history.consumer';
import { EventHistoryService } from './event-history.service';
import { EventStreamService } from './event-stream.service';
import { AdminEventsController, BillingEventsController } from './events.controller';
import { OutboundJobs } from './outbound-jobs';
import { OutboundMetrics } from './outbound-metrics';
import { OutboundRelay } from './outbound-relay.service';
import { WebhookEndpointsController } from './webhook-endpoints.controller';
import { WebhookEndpointsService } from './webhook-endpoints.service';
import { WebhookSender } from './webhook-sender.service';
import { WebhookBatchSender } from './webhook-batch-sender';
import { WebhookSecrets } from './webhook-secrets';

/** Events out: history, live stream (SSE over Redis) and signed webhooks to sibling services. */
@Module({})
export class OutboundModule {
  static forRoot(options: { workers: boolean }): DynamicModule {
    return {
      module: OutboundModule,
      controllers: [WebhookEndpointsController, BillingEventsController, AdminEventsController],
      providers: [
        EventHistoryConsumer,
        EventHistoryService,
        EventStreamService,
        OutboundRelay,
        OutboundMetrics,
        WebhookEndpointsService,
        WebhookSender,
        WebhookBatchSender,
        WebhookSecrets,
        ...(options.workers ? [OutboundJobs] : []),
      ],
      exports: [EventHistoryService, OutboundRelay, WebhookSecrets],
    };
  }
}
