import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { DisplayNameField, OptionalObjectField, OptionalTextField } from '../common/dto-fields';
import { QUERY_MODES, QueryMode } from '../rag/query-mode';

/** Per-KB settings; anything omitted falls back to the server defaults (LightRAG's: 1200/100 tokens). */
export class KbConfigDto {
  @ApiPropertyOptional({ default: 1200, minimum: 50, maximum: 8000 }) @IsOptional() @IsInt() @Min(50) @Max(8000) chunk_token_size?: number;
  @ApiPropertyOptional({ default: 100, minimum: 0, maximum: 2000 }) @IsOptional() @IsInt() @Min(0) @Max(2000) chunk_overlap_token_size?: number;
  @ApiPropertyOptional({ default: 40, minimum: 1, maximum: 200 }) @IsOptional() @IsInt() @Min(1) @Max(200) top_k?: number;
  @ApiPropertyOptional({ default: 20, minimum: 1, maximum: 200 }) @IsOptional() @IsInt() @Min(1) @Max(200) chunk_top_k?: number;
  @ApiPropertyOptional({ enum: QUERY_MODES, default: 'mix' }) @IsOptional() @IsIn(QUERY_MODES) default_mode?: QueryMode;
  @ApiPropertyOptional({ default: true, description: 'Re-rank the fused chunk candidates with BM25 over the candidates (lexical, no model); a query can override it' })
  @IsOptional()
  @IsBoolean()
  enable_rerank?: boolean;
}

export class CreateKnowledgeBaseDto {
  @DisplayNameField({ maxLength: 200, example: 'Product manuals' }) kb_name: string;

  @OptionalTextField(2000) description?: string;

  @OptionalObjectField(KbConfigDto) config?: KbConfigDto;
}

export class UpdateKnowledgeBaseDto {
  @DisplayNameField({ maxLength: 200, optional: true }) kb_name?: string;

  @OptionalTextField(2000) description?: string;

  @OptionalObjectField(KbConfigDto, { description: 'Merged into the current config' }) config?: KbConfigDto;
}

export class KnowledgeBaseDto {
  @ApiProperty() kb_id: string;
  @ApiProperty() tenant_id: string;
  @ApiProperty() kb_name: string;
  @ApiProperty({ nullable: true, type: String }) description: string | null;
  @ApiProperty({ type: KbConfigDto }) config: KbConfigDto;
  @ApiProperty() created_at: string;
  @ApiProperty() updated_at: string;
}
