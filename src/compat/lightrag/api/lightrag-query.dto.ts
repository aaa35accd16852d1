import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, MaxLength, Min, MinLength, ValidateNested } from 'class-validator';
import { QUERY_MODES, QueryMode } from '../../../rag/query-mode';

const NO_NUL = /^[^\u0000]*$/;

/** One conversation_history item: LightRAG requires a non-empty string role; content is the message text. */
export class LightragHistoryMessageDto {
  @IsString()
  @MinLength(1, { message: 'role must be a non-empty string' })
  @MaxLength(32)
  @Matches(NO_NUL, { message: 'role must not contain NUL characters' })
  role: string;

  @IsOptional()
  @IsString()
  @MaxLength(20000)
  @Matches(NO_NUL, { message: 'content must not contain NUL characters' })
  content?: string;
}

/**
 * LightRAG's QueryRequest (query_routes.py). Fields LightRAG accepts that
 * Strata does not use (max_entity_tokens, max_relation_tokens,
 * max_total_tokens, hl_keywords, ll_keywords, history_turns, ids,
 * include_progress, disable_user_prompt_prefix) and any unknown field are
 * dropped by parseLightrag, never refused.
 */
export class LightragQueryDto {
  @IsString()
  @MinLength(3, { message: 'String should have at least 3 characters' })
  @MaxLength(10000, { message: 'String should have at most 10000 characters' })
  @Matches(/\S/, { message: 'query must not be empty' })
  @Matches(NO_NUL, { message: 'query must not contain NUL characters' })
  query: string;

  @IsOptional()
  @IsIn(QUERY_MODES, { message: `Input should be ${QUERY_MODES.map((m) => `'${m}'`).join(', ')}` })
  mode?: QueryMode;

  @IsOptional()
  @IsBoolean()
  only_need_context?: boolean;

  @IsOptional()
  @IsBoolean()
  only_need_prompt?: boolean;

  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(NO_NUL, { message: 'response_type must not contain NUL characters' })
  response_type?: string;

  /** ≥ 1; above Strata's maximum (200) it is clamped, not refused. */
  @IsOptional()
  @IsInt()
  @Min(1, { message: 'Input should be greater than or equal to 1' })
  top_k?: number;

  /** ≥ 1; above Strata's maximum (200) it is clamped, not refused. */
  @IsOptional()
  @IsInt()
  @Min(1, { message: 'Input should be greater than or equal to 1' })
  chunk_top_k?: number;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => LightragHistoryMessageDto)
  conversation_history?: LightragHistoryMessageDto[];

  @IsOptional()
  @IsString()
  @MaxLength(10000)
  @Matches(NO_NUL, { message: 'user_prompt must not contain NUL characters' })
  user_prompt?: string;

  @IsOptional()
  @IsBoolean()
  enable_rerank?: boolean;

  @IsOptional()
  @IsBoolean()
  include_references?: boolean;

  @IsOptional()
  @IsBoolean()
  include_chunk_content?: boolean;

  @IsOptional()
  @IsBoolean()
  stream?: boolean;
}
