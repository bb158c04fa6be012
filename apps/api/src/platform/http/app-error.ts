import type { ErrorCode, ErrorDetail } from '@astrix/contracts';

/** A failure we expect and explain: it carries its HTTP status and the envelope's code. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | string,
    message: string,
    readonly details?: ErrorDetail[],
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export class NotFoundError extends AppError {
  constructor(resource: string, id: string) {
    super(404, 'NOT_FOUND', `${resource} ${id} was not found`);
  }
}

export class ConflictError extends AppError {
  constructor(message: string, code = 'CONFLICT', details?: ErrorDetail[]) {
    super(409, code, message, details);
  }
}
