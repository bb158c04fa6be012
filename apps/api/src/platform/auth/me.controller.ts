import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Actor } from './actor';
import { Access, CurrentActor } from './access.decorators';

@ApiTags('identity')
@ApiBearerAuth()
@Controller('v1/me')
export class MeController {
  /** Who the API thinks you are: handy to check a token or key. */
  @Get()
  @Access({ kind: 'user' }, { kind: 'scopes', scopes: [] })
  @ApiOperation({ summary: 'The authenticated caller' })
  me(@CurrentActor() actor: Actor): Actor {
    return actor;
  }
}
