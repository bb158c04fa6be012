import type { IncomingMessage } from 'node:http';
import { Module, RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Options } from 'pino-http';
import { AppConfig } from '../config/app-config';
import { requestIdFor } from '../http/request-id';
import { LOG_DESTINATION, LogDestination } from './log-destination';
import { maskSensitiveText, maskSensitiveValues, maskUrl, REDACTED_PATHS, serializeError } from './redaction';

function pinoOptions(config: AppConfig): Options {
  return {
    level: config.logLevel,
    genReqId: (request: IncomingMessage) => requestIdFor(request),
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    formatters: {
      log: (object: Record<string, unknown>) => maskSensitiveValues(object) as Record<string, unknown>,
    },
    hooks: {
      logMethod(args: unknown[], method: (...parameters: unknown[]) => void) {
        method.apply(
          this,
          args.map((argument) => (typeof argument === 'string' ? maskSensitiveText(argument) : argument)),
        );
      },
    },
    customLogLevel: (_request: IncomingMessage, response: { statusCode: number }, error?: Error) =>
      error || response.statusCode >= 500 ? 'error' : response.statusCode >= 400 ? 'warn' : 'info',
    // Nest's middleware sees the URL with its mount path cut (often just "/"): originalUrl is whole.
    autoLogging: {
      ignore: (request: IncomingMessage & { originalUrl?: string }) =>
        (request.originalUrl ?? request.url ?? '').startsWith('/health'),
    },
    serializers: {
      // Failed queries carry their parameters and the driver's detail: see serializeError.
      err: serializeError,
      req: (request: { id: string; method: string; url: string }) => ({
        id: request.id,
        method: request.method,
        url: maskUrl(request.url),
      }),
    },
  };
}

/** Structured JSON logs with the request id on every line; secrets and card-like data never printed. */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [AppConfig, { token: LOG_DESTINATION, optional: true }],
      useFactory: (config: AppConfig, destination?: LogDestination) => ({
        // Entitlement checks come from sibling services by the thousand per second: an access-log line
        // each would be most of the log volume and a fifth of a check's cost (docs/performance.md).
        // Their failures are still logged, with the request id.
        exclude: [
          { method: RequestMethod.POST, path: 'v1/entitlements/check' },
          { method: RequestMethod.POST, path: 'v1/entitlements/check/batch' },
        ],
        pinoHttp: destination ? [pinoOptions(config), destination] : pinoOptions(config),
      }),
    }),
  ],
})
export class LoggingModule {}
