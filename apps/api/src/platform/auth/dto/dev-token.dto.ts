import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { STAFF_ROLES, type StaffRole } from '../actor';

export class DevTokenDto {
  @ApiProperty({ enum: STAFF_ROLES })
  @IsIn(STAFF_ROLES)
  role!: StaffRole;

  @ApiPropertyOptional({ description: 'User id of the token (sub); default `<role>_dev`' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @Matches(/^[\w.:@-]+$/, { message: 'sub may contain letters, digits and . _ : @ -' })
  sub?: string;
}
