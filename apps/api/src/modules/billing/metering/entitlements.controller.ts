import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { EntitlementList } from '@astrix/contracts';
import { Access, CurrentActor } from '../../../platform/auth/access.decorators';
import type { Actor } from '../../../platform/auth/actor';
import { AppError, NotFoundError } from '../../../platform/http/app-error';
import { isStaff } from './usage.controller';
import { EntitlementsService } from './entitlements.service';

function badRequest(field: string, message: string): AppError {
  return new AppError(400, 'VALIDATION_ERROR', `${field} ${message}`, [{ field, message }]);
}

/** `POST /v1/entitlements/check` is served by EntitlementCheckRoute, outside Nest's pipeline. */
@ApiTags('entitlements')
@ApiBearerAuth()
@Controller('v1/entitlements')
export class EntitlementsController {
  constructor(private readonly entitlements: EntitlementsService) {}

  @Get()
  @Access(
    { kind: 'scopes', scopes: ['entitlements:read'] },
    { kind: 'roles', roles: ['support'] },
    { kind: 'user' },
  )
  @ApiOperation({ summary: "Every active feature with the customer's answer; users see their own" })
  list(
    @Query('customerId') customerId: string | undefined,
    @CurrentActor() actor: Actor,
  ): Promise<EntitlementList> {
    if (actor.kind === 'user' && !isStaff(actor.roles)) {
      if (customerId !== undefined && customerId !== actor.userId) {
        throw new NotFoundError('customer', customerId.slice(0, 64));
      }
      return this.entitlements.list(actor.userId);
    }
    if (typeof customerId !== 'string' || customerId.length === 0 || customerId.length > 200) {
      throw badRequest('customerId', 'is required');
    }
    return this.entitlements.list(customerId);
  }
}
