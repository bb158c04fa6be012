import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  ValidationOptions,
  registerDecorator,
} from 'class-validator';
import type { TradingOutcomeRequest, TradingOutcomeType } from '@astrix/contracts';
import { IsInstant, parseInstant } from '../../../platform/http/instant';

const OUTCOME_TYPES = [
  'passed',
  'failed',
  'breached',
  'funded',
  'closed',
] as const satisfies readonly TradingOutcomeType[];
const MAX_METRICS = 50;
/** The platform's event times: a date-time with its offset. */
const EVENT_TIME = { requireTime: true, requireOffset: true };

function metricsProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'metrics must be an object';
  const entries = Object.entries(value);
  if (entries.length > MAX_METRICS) return `metrics may hold at most ${MAX_METRICS} values`;
  for (const [key, item] of entries) {
    if (item !== null && !['number', 'string', 'boolean'].includes(typeof item))
      return `metrics.${key} must be a number, string, boolean or null`;
  }
  const firstTradeAt = (value as Record<string, unknown>).firstTradeAt;
  if (
    firstTradeAt !== undefined &&
    (typeof firstTradeAt !== 'string' || parseInstant(firstTradeAt, EVENT_TIME) === null)
  )
    return 'metrics.firstTradeAt must be an ISO 8601 date-time';
  return null;
}

/** Flat metrics (number, string, boolean or null values); `firstTradeAt`, when present, a date-time. */
function IsTradingMetrics(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isTradingMetrics',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: ({ value }) => metricsProblem(value) ?? 'metrics are invalid', ...options },
      validator: { validate: (value: unknown) => metricsProblem(value) === null },
    });
}

export class TradingOutcomeDto implements TradingOutcomeRequest {
  @ApiProperty({ example: 'tp_evt_81723', description: "The platform's event id; repeats are answered once" })
  @IsString()
  @Matches(/^[\w.:-]{1,200}$/, { message: 'eventId must be 1-200 letters, digits or . _ : -' })
  eventId!: string;

  @ApiProperty({ enum: OUTCOME_TYPES })
  @IsIn(OUTCOME_TYPES, { message: `type must be one of: ${OUTCOME_TYPES.join(', ')}` })
  type!: TradingOutcomeType;

  @ApiProperty({ example: '2026-11-21T10:00:00Z' })
  @IsInstant(EVENT_TIME)
  occurredAt!: string;

  @ApiProperty({ example: 'max daily loss exceeded' })
  @IsString()
  @Length(1, 500)
  reason!: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { firstTradeAt: '2026-11-20T09:30:00Z', equity: 48700.5 },
  })
  @IsOptional()
  @IsObject()
  @IsTradingMetrics()
  metrics?: Record<string, number | string | boolean | null>;
}
