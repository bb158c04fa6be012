import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  Length,
  Matches,
} from 'class-validator';
import { API_KEY_SCOPES, ApiKeyMode, ApiKeyScope, RETIRED_API_KEY_SCOPES } from '@astrix/contracts';
import { IsInstant } from '../../http/instant';

export class CreateApiKeyDto {
  @ApiProperty({ example: 'trading-platform', description: 'Which service holds the key' })
  @IsString()
  @Length(1, 100)
  @Matches(/^[\w .:-]+$/, { message: 'name may contain letters, digits, spaces and . _ : -' })
  name!: string;

  @ApiProperty({ enum: API_KEY_SCOPES, isArray: true })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(API_KEY_SCOPES.length)
  @IsIn(API_KEY_SCOPES, {
    each: true,
    message:
      `each scope must be one of: ${API_KEY_SCOPES.join(', ')} ` +
      `(${RETIRED_API_KEY_SCOPES.join(', ')} are no longer issued: no route accepts them)`,
  })
  scopes!: ApiKeyScope[];

  @ApiPropertyOptional({ enum: ['live', 'test'], default: 'test' })
  @IsOptional()
  @IsIn(['live', 'test'])
  mode?: ApiKeyMode;

  @ApiPropertyOptional({
    example: '2027-06-30T00:00:00Z',
    description: 'When the key stops working (ISO 8601 instant, in the future); omitted: never',
  })
  @IsOptional()
  @IsInstant({ requireTime: true, requireOffset: true })
  expiresAt?: string;
}
