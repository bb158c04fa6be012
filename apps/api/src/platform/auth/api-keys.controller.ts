import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ApiKeyView, CreateApiKeyResponse, Page } from '@astrix/contracts';
import { IdParam } from '../http/id-param.pipe';
import { PageQuery } from '../http/pagination';
import { ShowsSecretOnce } from '../idempotency/shows-secret-once.decorator';
import type { RequestContext } from './actor';
import { CurrentContext, Roles } from './access.decorators';
import { ApiKeysService } from './api-keys.service';
import { CreateApiKeyDto } from './dto/create-api-key.dto';

@ApiTags('admin: api keys')
@ApiBearerAuth()
@Roles('admin')
@Controller('v1/admin/api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Post()
  @ShowsSecretOnce('create a new key (and revoke this one if it was lost)')
  @ApiOperation({ summary: 'Issue an API key for a sibling service; the raw key is returned once' })
  create(
    @Body() body: CreateApiKeyDto,
    @CurrentContext() context: RequestContext,
  ): Promise<CreateApiKeyResponse> {
    return this.apiKeys.create(body, context);
  }

  @Get()
  @ApiOperation({ summary: 'List API keys, newest first' })
  list(@Query() query: PageQuery): Promise<Page<ApiKeyView>> {
    return this.apiKeys.list(query);
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke an API key; it stops working at once' })
  revoke(
    @Param('id', new IdParam('key', 'API key')) id: string,
    @CurrentContext() context: RequestContext,
  ): Promise<ApiKeyView> {
    return this.apiKeys.revoke(id, context);
  }
}
