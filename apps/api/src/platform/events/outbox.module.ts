import { Global, Module } from '@nestjs/common';
import { OutboxService } from './outbox.service';

/** Writing to the outbox needs only the database: the CLI uses this without queues. */
@Global()
@Module({ providers: [OutboxService], exports: [OutboxService] })
export class OutboxModule {}
