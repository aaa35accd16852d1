import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNotEmpty, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';

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
  @ApiProperty({ example: 'Product manuals', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @Matches(/[^\s\u0000]/, { message: 'kb_name must not be blank' })
  @Matches(/^[^\u0000]*$/, { message: 'kb_name must not contain NUL characters' })
  kb_name: string;

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  @Matches(/^[^\u0000]*$/, { message: 'description must not contain NUL characters' })
  description?: string;

  @ApiPropertyOptional({ type: KbConfigDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => KbConfigDto)
  config?: KbConfigDto;
}

export class UpdateKnowledgeBaseDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @Matches(/[^\s\u0000]/, { message: 'kb_name must not be blank' })
  @Matches(/^[^\u0000]*$/, { message: 'kb_name must not contain NUL characters' })
  kb_name?: string;

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  @Matches(/^[^\u0000]*$/, { message: 'description must not contain NUL characters' })
  description?: string;

  @ApiPropertyOptional({ type: KbConfigDto, description: 'Merged into the current config' })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => KbConfigDto)
  config?: KbConfigDto;
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
