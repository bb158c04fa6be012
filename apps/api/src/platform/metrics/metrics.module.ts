import { Global, Module } from '@nestjs/common';
import { MetricsRegistry } from './metrics-registry';
import { MetricsServer } from './metrics-server';
import { PlatformMetrics } from './platform-metrics';

/** The Prometheus registry every module registers its metrics in, the platform's own, and the scrape port. */
@Global()
@Module({
  providers: [MetricsRegistry, PlatformMetrics, MetricsServer],
  exports: [MetricsRegistry, MetricsServer],
})
export class MetricsModule {}
