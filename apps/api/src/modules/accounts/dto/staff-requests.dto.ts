import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';
import { USER_ID_PATTERN } from './account-queries';

/** Why support changed an account: it goes to the status history and the audit log. */
export class StaffReasonDto {
  @ApiProperty({ example: 'chargeback under review' })
  @IsString()
  @Length(1, 500)
  reason!: string;
}

export class PlaceHoldDto extends StaffReasonDto {
  @ApiProperty({ example: 'user_01jd…' })
  @IsString()
  @Matches(USER_ID_PATTERN, { message: 'userId must be a user id' })
  userId!: string;
}
