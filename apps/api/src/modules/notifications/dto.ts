import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Max,
  Min,
} from 'class-validator';
import { EVENT_TYPES, EventType, WebhookDeliveryStatus } from '@astrix/contracts';
import { PageQuery } from '../../platform/http/pagination';
import { IsInstant } from '../../platform/http/instant';

const eventTypesMessage = `each event type must be one of: ${EVENT_TYPES.join(', ')}`;

export class CreateWebhookEndpointDto {
  @ApiProperty({ example: 'https://notifications.astrix.internal/webhooks/billing' })
  @IsString()
  @Length(1, 2000)
  url!: string;

  @ApiProperty({ enum: EVENT_TYPES, isArray: true })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(EVENT_TYPES.length)
  @IsIn(EVENT_TYPES, { each: true, message: eventTypesMessage })
  eventTypes!: EventType[];

  @ApiPropertyOptional({ example: 'notifications service' })
  @IsOptional()
  @IsString()
  @Length(0, 500)
  description?: string;
}

export class UpdateWebhookEndpointDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 2000)
  url?: string;

  @ApiPropertyOptional({ enum: EVENT_TYPES, isArray: true })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(EVENT_TYPES.length)
  @IsIn(EVENT_TYPES, { each: true, message: eventTypesMessage })
  eventTypes?: EventType[];

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(0, 500)
  description?: string;
}

export class RotateWebhookSecretDto {
  @ApiPropertyOptional({ minimum: 0, maximum: 168, default: 24 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(168)
  graceHours?: number;
}

const DELIVERY_STATUSES: WebhookDeliveryStatus[] = ['pending', 'succeeded', 'failed'];

export class DeliveriesQuery extends PageQuery {
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES)
  status?: WebhookDeliveryStatus;
}

export class ReplayQuery {
  @ApiProperty({ example: '2026-11-20T00:00:00Z', description: 'events that occurred at or after' })
  @IsInstant()
  from!: string;

  @ApiProperty({ example: '2026-11-21T00:00:00Z', description: 'events that occurred before' })
  @IsInstant()
  to!: string;
}

export class EventsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: EVENT_TYPES })
  @IsOptional()
  @IsIn(EVENT_TYPES, { message: `type must be one of: ${EVENT_TYPES.join(', ')}` })
  type?: EventType;
}

export class AdminEventsQuery extends EventsQuery {
  @ApiPropertyOptional({ description: 'a user id or a billing customer id (cust_…)' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  customerId?: string;

  @ApiPropertyOptional({ description: 'occurred at or after (ISO 8601)' })
  @IsOptional()
  @IsInstant()
  from?: string;

  @ApiPropertyOptional({ description: 'occurred before (ISO 8601)' })
  @IsOptional()
  @IsInstant()
  to?: string;
}

export class StreamQuery {
  @ApiPropertyOptional({ description: 'staff only: stream this user’s events instead of their own' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @Length(1, 200)
  userId?: string;

  @ApiPropertyOptional({
    description:
      'a stream token from POST /v1/billing/stream-tokens instead of Authorization (EventSource cannot send headers)',
  })
  @IsOptional()
  @IsString()
  @Length(1, 1024)
  token?: string;

  @ApiPropertyOptional({
    description:
      'resume after this event id, like the Last-Event-ID header (which wins): a new EventSource cannot send that header',
  })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  lastEventId?: string;
}
