import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidationOptions,
} from 'class-validator';

/** LightRAG's DocStatus values (lightrag/base.py); Strata's documents use all but "preprocessed". */
export const LIGHTRAG_DOC_STATUSES = ['pending', 'processing', 'preprocessed', 'processed', 'failed'] as const;
export type LightragDocStatus = (typeof LIGHTRAG_DOC_STATUSES)[number];

/** Most texts one POST /documents/texts may carry, and most ids one delete_document may name. */
export const MAX_TEXTS = 1000;
export const MAX_DELETE_IDS = 1000;

const NO_NUL = /^[^\u0000]*$/;
const NOT_BLANK = /\S/;

/** Every element distinct, checked with a Set (class-validator's ArrayUnique compares each pair: quadratic). */
function DistinctItems(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy({ name: 'arrayUnique', validator: { validate: (v: unknown) => Array.isArray(v) && new Set(v).size === v.length } }, options);
}

/** LightRAG's InsertTextRequest: text (non-blank, stripped by the handler), optional file_source. */
export class InsertTextDto {
  @IsDefined()
  @IsString()
  @Matches(NOT_BLANK, { message: 'String should have at least 1 character' })
  @Matches(NO_NUL, { message: 'text must not contain NUL characters' })
  text: string;

  @IsOptional()
  @IsString()
  @MaxLength(1000)
  @Matches(NO_NUL, { message: 'file_source must not contain NUL characters' })
  file_source?: string | null;
}

/** LightRAG's InsertTextsRequest: texts (1..1000, each non-blank), optional file_sources (one per text). */
export class InsertTextsDto {
  @IsDefined()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_TEXTS)
  @IsString({ each: true })
  @Matches(NOT_BLANK, { each: true, message: 'each text must not be blank' })
  @Matches(NO_NUL, { each: true, message: 'texts must not contain NUL characters' })
  texts: string[];

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_TEXTS)
  @IsString({ each: true })
  @MaxLength(1000, { each: true })
  @Matches(NO_NUL, { each: true, message: 'file_sources must not contain NUL characters' })
  file_sources?: string[] | null;
}

/** LightRAG's DocumentsRequest (POST /documents/paginated); 1.5.x's status_filters is accepted too. */
export class DocumentsPageDto {
  @IsOptional()
  @IsIn(LIGHTRAG_DOC_STATUSES)
  status_filter?: LightragDocStatus | null;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(LIGHTRAG_DOC_STATUSES.length * 2)
  @IsIn(LIGHTRAG_DOC_STATUSES, { each: true })
  status_filters?: LightragDocStatus[] | null;

  /** Bounded so that (page - 1) * page_size stays a small integer for the database. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  page?: number | null;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(10)
  @Max(200)
  page_size?: number | null;

  @IsOptional()
  @IsIn(['created_at', 'updated_at', 'id', 'file_path'])
  sort_field?: 'created_at' | 'updated_at' | 'id' | 'file_path' | null;

  @IsOptional()
  @IsIn(['asc', 'desc'])
  sort_direction?: 'asc' | 'desc' | null;
}

/** LightRAG's DeleteDocRequest: doc_ids (non-empty, unique, each non-blank; at most 1000 here). */
export class DeleteDocDto {
  @IsDefined()
  @IsArray()
  @ArrayMinSize(1, { message: 'doc_ids must not be empty' })
  @ArrayMaxSize(MAX_DELETE_IDS)
  @DistinctItems({ message: 'doc_ids must be unique' })
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  @Matches(NOT_BLANK, { each: true, message: 'each doc_id must not be blank' })
  @Matches(NO_NUL, { each: true, message: 'doc_ids must not contain NUL characters' })
  doc_ids: string[];

  @IsOptional() @IsBoolean() delete_file?: boolean;
  @IsOptional() @IsBoolean() delete_llm_cache?: boolean;
}
