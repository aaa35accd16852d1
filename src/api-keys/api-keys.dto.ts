import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsDateString, IsIn, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PERMISSIONS, Permission } from '../context/permissions';

export class CreateApiKeyDto {
  @ApiProperty({ example: 'support-bot', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @Matches(/[^\s\u0000]/, { message: 'key_name must not be blank' })
  @Matches(/^[^\u0000]*$/, { message: 'key_name must not contain NUL characters' })
  key_name: string;

  @ApiProperty({ type: [String], description: 'KB ids the key may touch, or ["*"] for every KB of the tenant, present and future', example: ['*'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @ArrayUnique()
  @IsString({ each: true })
  @Matches(/^(\*|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/, {
    each: true,
    message: 'each knowledge_base_ids entry must be a UUID or "*"',
  })
  knowledge_base_ids: string[];

  @ApiProperty({ enum: PERMISSIONS, isArray: true, example: ['query:run', 'document:read'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(PERMISSIONS, { each: true, message: `each permission must be one of: ${PERMISSIONS.join(', ')}` })
  permissions: Permission[];

  @ApiPropertyOptional({ description: 'ISO 8601 time after which the key stops working', example: '2027-01-01T00:00:00Z' })
  @IsOptional()
  @IsDateString({ strict: true })
  expires_at?: string;
}

export class ApiKeyDto {
  @ApiProperty() key_id: string;
  @ApiProperty() key_name: string;
  @ApiProperty({ description: 'sk- and the first 8 characters, to recognise a key' }) key_prefix: string;
  @ApiProperty({ type: [String] }) knowledge_base_ids: string[];
  @ApiProperty({ enum: PERMISSIONS, isArray: true }) permissions: Permission[];
  @ApiProperty({ nullable: true, type: String }) expires_at: string | null;
  @ApiProperty({ nullable: true, type: String }) revoked_at: string | null;
  @ApiProperty({ nullable: true, type: String }) last_used_at: string | null;
  @ApiProperty() created_by: string;
  @ApiProperty() created_at: string;
}

export class CreatedApiKeyDto extends ApiKeyDto {
  @ApiProperty({ description: 'The full key, shown only in this response' }) key: string;
}
