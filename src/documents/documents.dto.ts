import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PageQuery } from '../common/pagination';

export const DOCUMENT_STATUSES = ['pending', 'processing', 'processed', 'failed'] as const;

export class AddTextDto {
  @ApiProperty({ description: 'The document text' })
  @IsString()
  @Matches(/\S/, { message: 'text must not be empty' })
  @Matches(/^[^\u0000]*$/, { message: 'text must not contain NUL characters' })
  text: string;

  @ApiPropertyOptional({ description: 'Shown as file_path in references', maxLength: 1000 })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  @Matches(/^[^\u0000]*$/, { message: 'file_source must not contain NUL characters' })
  file_source?: string;
}

export class AddTextsDto {
  @ApiProperty({ type: [String], minItems: 1, maxItems: 1000 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  @Matches(/\S/, { each: true, message: 'each text must not be empty' })
  @Matches(/^[^\u0000]*$/, { each: true, message: 'texts must not contain NUL characters' })
  texts: string[];

  @ApiPropertyOptional({ type: [String], description: 'One per text, in order' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  @MaxLength(1000, { each: true })
  @Matches(/^[^\u0000]*$/, { each: true, message: 'file_sources must not contain NUL characters' })
  file_sources?: string[];
}

export class DocumentListQuery extends PageQuery {
  @ApiPropertyOptional({ enum: DOCUMENT_STATUSES })
  @IsOptional()
  @IsIn(DOCUMENT_STATUSES)
  status?: (typeof DOCUMENT_STATUSES)[number];
}

export class DocumentAcceptedDto {
  @ApiProperty() document_id: string;
  @ApiProperty({ enum: ['pending'] }) status: 'pending';
  @ApiProperty() track_id: string;
}

export class DocumentsAcceptedDto {
  @ApiProperty({ type: [String] }) document_ids: string[];
  @ApiProperty({ enum: ['pending'] }) status: 'pending';
  @ApiProperty() track_id: string;
}

export class DocumentDto {
  @ApiProperty() document_id: string;
  @ApiProperty() kb_id: string;
  @ApiProperty() file_path: string;
  @ApiProperty({ enum: DOCUMENT_STATUSES }) status: string;
  @ApiProperty() chunks_count: number;
  @ApiProperty({ nullable: true, type: String }) error: string | null;
  @ApiProperty() track_id: string;
  @ApiProperty() content_hash: string;
  @ApiProperty() size_bytes: number;
  @ApiProperty() format: string;
  @ApiProperty() created_at: string;
  @ApiProperty() updated_at: string;
}
