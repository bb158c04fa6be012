import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AuditEntryView, Page } from '@astrix/contracts';
import { AuditQueryService } from '../../platform/audit/audit-query.service';
import { Roles } from '../../platform/auth/access.decorators';
import { AppError } from '../../platform/http/app-error';
import { AuditLogQuery } from './dto/admin.dto';

@ApiTags('admin: audit')
@ApiBearerAuth()
@Roles('support', 'finance')
@Controller('v1/admin/audit-log')
export class AdminAuditController {
  constructor(private readonly auditLog: AuditQueryService) {}

  @Get()
  @ApiOperation({ summary: 'The audit log, newest first; filter by actor, resource, action and time' })
  list(@Query() query: AuditLogQuery): Promise<Page<AuditEntryView>> {
    const from = query.from ? new Date(query.from) : undefined;
    const to = query.to ? new Date(query.to) : undefined;
    if (from && to && to.getTime() <= from.getTime()) {
      throw new AppError(400, 'VALIDATION_ERROR', 'to must be after from', [
        { field: 'to', message: 'must be after from' },
      ]);
    }
    return this.auditLog.list({
      actor: query.actor,
      resourceType: query.resourceType,
      resourceId: query.resourceId,
      action: query.action,
      from,
      to,
      limit: query.limit,
      cursor: query.cursor,
    });
  }
}
