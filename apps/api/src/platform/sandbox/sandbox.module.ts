import { Module } from '@nestjs/common';
import { ProcessorModule } from '../payment-processor/processor.module';
import { SandboxClockController } from './sandbox-clock.controller';

/** Sandbox-only tools (the movable clock); every route answers 404 outside the sandbox. */
@Module({ imports: [ProcessorModule], controllers: [SandboxClockController] })
export class SandboxModule {}
