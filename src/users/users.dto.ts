import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { TENANT_ROLES, TenantRole } from '../context/permissions';

export class CreateUserDto {
  @ApiProperty({ example: 'alice', description: '3-64 letters, digits, dot, dash, underscore or @; unique within the tenant (case-insensitive)' })
  @IsString()
  @Matches(/^[A-Za-z0-9._@-]{3,64}$/, { message: 'username must be 3-64 letters, digits or . _ @ -' })
  username: string;

  @ApiProperty({ minLength: 8, maxLength: 256 }) @IsString() @MinLength(8) @MaxLength(256) password: string;

  @ApiProperty({ enum: TENANT_ROLES }) @IsIn(TENANT_ROLES) role: TenantRole;
}

export class UpdateUserDto {
  @ApiPropertyOptional({ minLength: 8, maxLength: 256 }) @IsOptional() @IsString() @MinLength(8) @MaxLength(256) password?: string;
  @ApiPropertyOptional({ enum: TENANT_ROLES }) @IsOptional() @IsIn(TENANT_ROLES) role?: TenantRole;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() is_active?: boolean;
}

export class UserDto {
  @ApiProperty() user_id: string;
  @ApiProperty() tenant_id: string;
  @ApiProperty() username: string;
  @ApiProperty({ enum: TENANT_ROLES }) role: TenantRole;
  @ApiProperty() is_active: boolean;
  @ApiProperty() created_at: string;
  @ApiProperty() updated_at: string;
}
