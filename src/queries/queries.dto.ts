import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { QUERY_MODES, QueryMode } from '../rag/query-mode';

export class HistoryMessageDto {
  @ApiProperty({ enum: ['user', 'assistant', 'system'] }) @IsIn(['user', 'assistant', 'system']) role: 'user' | 'assistant' | 'system';
  @ApiProperty() @IsString() @MaxLength(20000) @Matches(/^[^\u0000]*$/, { message: 'content must not contain NUL characters' }) content: string;
}

export class QueryDto {
  @ApiProperty({ example: 'What does the warranty cover?', maxLength: 10000 })
  @IsString()
  @Matches(/\S/, { message: 'query must not be empty' })
  @MaxLength(10000)
  @Matches(/^[^\u0000]*$/, { message: 'query must not contain NUL characters' })
  query: string;

  @ApiPropertyOptional({ enum: QUERY_MODES, default: 'mix', description: 'Default: the KB config default_mode (mix)' })
  @IsOptional()
  @IsIn(QUERY_MODES)
  mode?: QueryMode;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, description: 'Entities / relations to retrieve (default: KB config top_k, 40)' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(200)
  top_k?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, description: 'Chunks to retrieve (default: KB config chunk_top_k, 20)' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(200)
  chunk_top_k?: number;

  @ApiPropertyOptional({
    description: 'Re-rank the fused chunk candidates lexically (BM25 over the candidates) before the chunk_top_k cut. Default: the KB config enable_rerank (true)',
  })
  @IsOptional()
  @IsBoolean()
  enable_rerank?: boolean;

  @ApiPropertyOptional({ default: false, description: 'Return the retrieved context with scores; no language model is called' })
  @IsOptional()
  @IsBoolean()
  only_need_context?: boolean;

  @ApiPropertyOptional({ example: 'Multiple Paragraphs', maxLength: 100 })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @Matches(/^[^\u0000]*$/, { message: 'response_type must not contain NUL characters' })
  response_type?: string;

  @ApiPropertyOptional({ type: [HistoryMessageDto], maxItems: 50 })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => HistoryMessageDto)
  conversation_history?: HistoryMessageDto[];

  @ApiPropertyOptional({ description: 'Only meaningful on /query/stream (false there = one NDJSON line with the whole answer); /query always answers at once' })
  @IsOptional()
  @IsBoolean()
  stream?: boolean;
}

export class ReferenceDto {
  @ApiProperty() document_id: string;
  @ApiProperty() file_path: string;
  @ApiProperty() chunk_id: string;
  @ApiProperty() score: number;
}

export class QueryAnswerDto {
  @ApiProperty() response: string;
  @ApiProperty({ enum: QUERY_MODES }) mode: string;
  @ApiProperty({ type: [ReferenceDto] }) references: ReferenceDto[];
  @ApiProperty({ example: { input_tokens: 812, output_tokens: 164, total_tokens: 976 } }) usage: Record<string, number>;
}
