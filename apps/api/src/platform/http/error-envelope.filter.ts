import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode, ErrorDetail, ErrorEnvelope } from '@astrix/contracts';
import { AppError } from './app-error';
import { BODY_REFUSALS } from './json-body';

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

export interface Described {
  status: number;
  code: string;
  message: string;
  details?: ErrorDetail[];
}

/** Fastify's own errors (bad JSON, body too large, wrong content type) carry a statusCode and an FST_ code. */
function isFastifyClientError(
  error: unknown,
): error is { statusCode: number; code?: string; message: string } {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { statusCode?: unknown }).statusCode === 'number' &&
    (error as { statusCode: number }).statusCode >= 400 &&
    (error as { statusCode: number }).statusCode < 500
  );
}

function fastifyMessage(error: { statusCode: number; code?: string; message: string }): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return BODY_REFUSALS.tooLarge;
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return BODY_REFUSALS.notJson;
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return BODY_REFUSALS.empty;
    default:
      return error.code?.startsWith('FST_ERR_CTP') || error.message.includes('JSON')
        ? BODY_REFUSALS.malformed(error.message)
        : error.message;
  }
}

/** Terminus answers a failed check with `{status:'error', error:{name:{status, message}}}`. */
function healthFailures(response: unknown): ErrorDetail[] | null {
  if (typeof response !== 'object' || response === null) return null;
  const { status, error } = response as { status?: unknown; error?: unknown };
  if (status !== 'error' || typeof error !== 'object' || error === null) return null;
  return Object.entries(error as Record<string, { message?: unknown }>).map(([field, result]) => ({
    field,
    message: typeof result?.message === 'string' ? result.message : 'down',
  }));
}

export function describeError(error: unknown): Described {
  if (error instanceof AppError) {
    return { status: error.status, code: error.code, message: error.message, details: error.details };
  }
  if (error instanceof ThrottlerException) {
    return { status: 429, code: 'RATE_LIMITED', message: 'too many requests; slow down and retry later' };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    const failedChecks = healthFailures(response);
    if (failedChecks) {
      return {
        status,
        code: 'SERVICE_UNAVAILABLE',
        message: `not ready: ${failedChecks.map((detail) => detail.field).join(', ')}`,
        details: failedChecks,
      };
    }
    const message =
      typeof response === 'string'
        ? response
        : Array.isArray((response as { message?: unknown }).message)
          ? (response as { message: string[] }).message.join('; ')
          : String((response as { message?: unknown }).message ?? error.message);
    return {
      status,
      code: CODE_BY_STATUS[status] ?? (status < 500 ? 'BAD_REQUEST' : 'INTERNAL_ERROR'),
      message,
    };
  }
  if (isFastifyClientError(error)) {
    const status = error.statusCode;
    return { status, code: CODE_BY_STATUS[status] ?? 'BAD_REQUEST', message: fastifyMessage(error) };
  }
  return { status: 500, code: 'INTERNAL_ERROR', message: 'an unexpected error occurred; it has been logged' };
}

/** The envelope of an error described by describeError. */
export function errorEnvelope(described: Described, requestId: string): ErrorEnvelope {
  return {
    error: {
      code: described.code,
      message: described.message,
      ...(described.details && described.details.length > 0 ? { details: described.details } : {}),
      requestId,
    },
  };
}

/** Every error leaves in the one envelope of DESIGN.md; a 500 never leaks a stack or an internal message. */
@Catch()
export class ErrorEnvelopeFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const described = describeError(exception);
    if (described.status >= 500) {
      this.logger.error({ err: exception, requestId: request.id }, 'unhandled error');
    }
    const body = errorEnvelope(described, String(request.id));
    void reply.status(described.status).header('content-type', 'application/json; charset=utf-8').send(body);
  }
}
