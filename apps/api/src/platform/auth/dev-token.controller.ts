import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AppConfig } from '../config/app-config';
import { AppError } from '../http/app-error';
import { Public } from './access.decorators';
import { DEV_TOKEN_ROLES, devTokensRefusedBecause, mintDevToken } from './dev-token';
import { DevTokenDto } from './dto/dev-token.dto';

/** Staff dev tokens live one working day; the console signs in again after that. */
const DEV_TOKEN_TTL_SECONDS = 8 * 3600;

/**
 * The console's sandbox sign-in: a staff token for a chosen role, only where the development
 * defaults are opted in (NODE_ENV=development|test or ASTRIX_SANDBOX=true). Anywhere else, including
 * production, both routes answer 404 as if they did not exist.
 */
@ApiTags('identity')
@Controller('v1/auth/dev-token')
export class DevTokenController {
  constructor(private readonly config: AppConfig) {}

  private ensureAllowed(): void {
    if (devTokensRefusedBecause(this.config) !== null) {
      throw new AppError(404, 'NOT_FOUND', 'dev tokens are not available here');
    }
  }

  @Get()
  @Public()
  @ApiOperation({ summary: 'Sandbox only: whether staff dev tokens can be minted here, and for which roles' })
  availability(): { available: true; roles: readonly string[] } {
    this.ensureAllowed();
    return { available: true, roles: DEV_TOKEN_ROLES };
  }

  @Post()
  @Public()
  @HttpCode(201)
  @ApiOperation({ summary: 'Sandbox only: mint a staff JWT for a role (404 outside the sandbox/dev opt-in)' })
  async mint(
    @Body() body: DevTokenDto,
  ): Promise<{ token: string; sub: string; roles: string[]; expiresIn: number }> {
    this.ensureAllowed();
    const sub = body.sub ?? `${body.role}_dev`;
    const roles = [body.role];
    const token = await mintDevToken(this.config, {
      sub,
      roles,
      email: `${sub}@sandbox.invalid`,
      ttlSeconds: DEV_TOKEN_TTL_SECONDS,
    });
    return { token, sub, roles, expiresIn: DEV_TOKEN_TTL_SECONDS };
  }
}
