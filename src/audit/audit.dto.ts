import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsDateString, IsInt, IsOptional, IsString, Matches, MaxLength, Min, ValidateNested } from 'class-validator';
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

/** One chain head recorded from an earlier verify (`data.heads[]`). */
export class ExpectedHeadDto {
  @ApiProperty({ example: 'platform', description: '`platform` or a tenant id' })
  @IsString()
  @Matches(/^(platform|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i, { message: 'chain must be "platform" or a tenant id' })
  chain!: string;

  @ApiProperty({ example: '42', description: 'seq of the recorded head (a string, as verify returns it)' })
  @IsString()
  @Matches(/^[1-9][0-9]{0,18}$/, { message: 'seq must be a positive integer as a string' })
  seq!: string;

  @ApiProperty({ description: 'hash of the recorded head (64 hex digits)' })
  @IsString()
  @Matches(/^[0-9a-f]{64}$/, { message: 'hash must be 64 lowercase hex digits' })
  hash!: string;

  @ApiPropertyOptional({ description: 'ignored (verify returns it)' }) @IsOptional() @IsInt() @Min(0) rows?: number;
}

export class VerifyAuditBody {
  @ApiProperty({ type: [ExpectedHeadDto], description: 'heads recorded outside the database; each must still be in its chain' })
  @IsArray()
  @ArrayMaxSize(100_000)
  @ValidateNested({ each: true })
  @Type(() => ExpectedHeadDto)
  heads!: ExpectedHeadDto[];
}
