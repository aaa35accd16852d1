import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsNumber, IsOptional, IsString, Matches, MaxLength, Min } from 'class-validator';
import { DisplayNameField, OptionalObjectField, OptionalTextField } from '../common/dto-fields';
import { PageQuery } from '../common/pagination';
import { TIERS, Tier } from '../context/tiers';

export { TIERS, type Tier };

/** Per-tenant overrides of the server-wide limits (quotas, rate limits, monthly budget). */
export class TenantLimitsDto {
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) max_documents?: number;
  @ApiPropertyOptional() @IsOptional() @IsNumber() @Min(0) max_storage_gb?: number;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) max_kb?: number;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) queries_per_minute?: number;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(1) documents_per_hour?: number;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(0) monthly_token_limit?: number;
  @ApiPropertyOptional() @IsOptional() @IsNumber() @Min(0) monthly_cost_limit_usd?: number;
}

export class CreateTenantDto {
  @DisplayNameField({ maxLength: 200, example: 'Acme Corp' }) tenant_name: string;

  @ApiPropertyOptional({ description: 'URL-safe identifier; derived from the name when omitted', example: 'acme-corp' })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, { message: 'slug must be 1-63 lowercase letters, digits or dashes' })
  slug?: string;

  @OptionalTextField(2000) description?: string;

  @ApiPropertyOptional({ enum: TIERS, default: 'standard' }) @IsOptional() @IsIn(TIERS) tier?: Tier;

  @OptionalObjectField(TenantLimitsDto) limits?: TenantLimitsDto;
}

export class UpdateTenantDto {
  @DisplayNameField({ maxLength: 200, optional: true }) tenant_name?: string;

  @OptionalTextField(2000) description?: string;

  @ApiPropertyOptional({ description: 'Admin only. false suspends the tenant: its credentials get 403 TENANT_SUSPENDED' })
  @IsOptional()
  @IsBoolean()
  is_active?: boolean;

  @ApiPropertyOptional({ enum: TIERS, description: 'Admin only' }) @IsOptional() @IsIn(TIERS) tier?: Tier;

  @OptionalObjectField(TenantLimitsDto, { description: 'Admin only' }) limits?: TenantLimitsDto;
}

export class ListTenantsQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Include soft-deleted tenants' })
  @IsOptional()
  @IsIn(['true', 'false'])
  include_deleted?: 'true' | 'false';

  @ApiPropertyOptional({ description: 'Only tenants whose name or slug contains this text (case-insensitive)', maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @Matches(/^[^\u0000]*$/, { message: 'search must not contain NUL characters' })
  search?: string;
}

export class DeleteTenantQuery {
  @ApiPropertyOptional({ description: 'true removes every row of the tenant now instead of after the retention period' })
  @IsOptional()
  @IsIn(['true', 'false'])
  purge?: 'true' | 'false';
}

export class TenantDto {
  @ApiProperty() tenant_id: string;
  @ApiProperty() tenant_name: string;
  @ApiProperty() slug: string;
  @ApiProperty({ nullable: true, type: String }) description: string | null;
  @ApiProperty({ enum: TIERS }) tier: Tier;
  @ApiProperty() is_active: boolean;
  @ApiProperty({ type: TenantLimitsDto }) limits: TenantLimitsDto;
  @ApiProperty() created_at: string;
  @ApiProperty() updated_at: string;
  @ApiProperty({ nullable: true, type: String }) deleted_at: string | null;
}
