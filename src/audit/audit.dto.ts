import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsDateString, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PageQuery } from '../common/pagination';

export class AuditLogQuery extends PageQuery {
  @ApiPropertyOptional({ example: 'apikey.create' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @Matches(/^[a-z0-9_.]+$/, { message: 'action must look like "kb.create"' })
  action?: string;

  @ApiPropertyOptional({ example: 'api_key:6f1c…', description: 'admin:<id>, user:<id>, api_key:<id> or anonymous' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  actor?: string;

  @ApiPropertyOptional({ description: 'ISO 8601, inclusive' }) @IsOptional() @IsDateString({ strict: true }) since?: string;
  @ApiPropertyOptional({ description: 'ISO 8601, exclusive' }) @IsOptional() @IsDateString({ strict: true }) until?: string;
}
