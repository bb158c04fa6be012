import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppConfig } from '../config/app-config';
import { MetricsRegistry } from './metrics-registry';

/**
 * `GET /metrics` on its own port (METRICS_PORT; off when unset), started by the API (createApp) and
 * the worker entry point, never by the CLI, which builds the same modules. Its own listener keeps it off the public API, its auth and its rate
 * limit; expose the port to the Prometheus network only (docs/observability.md).
 */
@Injectable()
export class MetricsServer implements OnApplicationShutdown {
  private readonly logger = new Logger(MetricsServer.name);
  private server: Server | null = null;

  constructor(
    private readonly config: AppConfig,
    private readonly metrics: MetricsRegistry,
  ) {}

  /** Listens on METRICS_PORT when it is set; stops with the application. */
  async start(): Promise<void> {
    const port = this.config.metricsPort;
    if (port === null || this.server) return;
    const server = createServer((request, response) => {
      const path = (request.url ?? '').split('?')[0];
      if (request.method !== 'GET' || path !== '/metrics') {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('Not found\n');
        return;
      }
      this.metrics.metrics().then(
        (body) => response.writeHead(200, { 'content-type': this.metrics.contentType() }).end(body),
        (error: unknown) => {
          this.logger.error({ err: error }, 'metrics scrape failed');
          response.writeHead(500, { 'content-type': 'text/plain' }).end('Metrics unavailable\n');
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.logger.log(`metrics on port ${this.port() ?? port}`);
  }

  /** The port listened on (the one chosen when METRICS_PORT=0); null when off. */
  port(): number | null {
    const address = this.server?.address();
    return address && typeof address === 'object' ? (address as AddressInfo).port : null;
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
