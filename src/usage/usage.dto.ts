import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsDateString, IsOptional } from 'class-validator';

export class UsageQuery {
  @ApiPropertyOptional({ description: 'ISO 8601 start (inclusive); default: the first day of this month (UTC)', example: '2026-11-01T00:00:00Z' })
  @IsOptional()
  @IsDateString({ strict: true })
  since?: string;

  @ApiPropertyOptional({ description: 'ISO 8601 end (exclusive); default: now' })
  @IsOptional()
  @IsDateString({ strict: true })
  until?: string;
}
