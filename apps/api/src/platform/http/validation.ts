import { ValidationError, ValidationPipe } from '@nestjs/common';
import type { ErrorDetail } from '@astrix/contracts';
import { AppError } from './app-error';

/** Flattens nested class-validator errors into `{field, message}` with dotted paths. */
export function toErrorDetails(errors: ValidationError[], parent = ''): ErrorDetail[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...toErrorDetails(error.children ?? [], field)];
  });
}

export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const details = toErrorDetails(errors);
      const summary =
        details.length > 0 ? details.map((detail) => detail.message).join('; ') : 'invalid request';
      return new AppError(400, 'VALIDATION_ERROR', summary, details);
    },
  });
}
