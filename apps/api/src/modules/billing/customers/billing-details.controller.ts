import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, IsString, Length } from 'class-validator';
import type { BillingDetailsView } from '@astrix/contracts';
import type { RequestContext, UserActor } from '../../../platform/auth/actor';
import { CurrentActor, CurrentContext, UserAuth } from '../../../platform/auth/access.decorators';
import { BillingDetails } from './billing-details.service';

const trimmedOrNull = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? (value.trim() === '' ? null : value.trim()) : value;

class BillingDetailsDto {
  @ApiPropertyOptional({
    example: 'Ана Петрова',
    description: 'As it should appear on documents; null clears it',
  })
  @IsOptional()
  @Transform(trimmedOrNull)
  @IsString({ message: 'name must be a string' })
  @Length(1, 200, { message: 'name must be 1 to 200 characters' })
  name?: string | null;

  @ApiPropertyOptional({
    example: 'ul. Tverskaya 1, kv. 5\n125009 Moscow',
    description: 'Postal address, lines separated by newlines; null clears it',
  })
  @IsOptional()
  @Transform(trimmedOrNull)
  @IsString({ message: 'address must be a string' })
  @Length(1, 500, { message: 'address must be 1 to 500 characters' })
  address?: string | null;
}

@ApiTags('billing: customers')
@ApiBearerAuth()
@UserAuth()
@Controller('v1/billing/billing-details')
export class BillingDetailsController {
  constructor(private readonly details: BillingDetails) {}

  @Get()
  @ApiOperation({ summary: 'The name and address your invoices and credit notes are addressed to' })
  get(@CurrentActor() actor: UserActor): Promise<BillingDetailsView> {
    return this.details.get(actor.userId);
  }

  @Put()
  @ApiOperation({ summary: 'Set the name and address for your invoices and credit notes (any script)' })
  put(
    @Body() body: BillingDetailsDto,
    @CurrentActor() actor: UserActor,
    @CurrentContext() context: RequestContext,
  ): Promise<BillingDetailsView> {
    return this.details.set(
      { userId: actor.userId, email: actor.email },
      { name: body.name ?? null, address: body.address ?? null },
      context,
    );
  }
}
