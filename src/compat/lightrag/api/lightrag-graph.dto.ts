import { Transform, Type } from 'class-transformer';
import { IsDefined, IsInt, IsOptional, IsString, Matches, MaxLength, Min, MinLength } from 'class-validator';

const NO_NUL = /^[^\u0000]*$/;
/** LightRAG has no upper bound on these; Strata clamps to its own (a request is never refused for asking more). */
const clamp = (max: number) => Transform(({ value }) => (typeof value === 'number' && Number.isInteger(value) && value > max ? max : value));

export class PopularLabelsQuery {
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @clamp(1000) limit: number = 300;
}

export class SearchLabelsQuery {
  @IsDefined() @IsString() @MinLength(1) @MaxLength(500) @Matches(NO_NUL, { message: 'q must not contain NUL characters' }) q: string;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @clamp(100) limit: number = 50;
}

export class GraphsQuery {
  @IsDefined() @IsString() @MinLength(1) @MaxLength(500) @Matches(NO_NUL, { message: 'label must not contain NUL characters' }) label: string;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @clamp(10) max_depth: number = 3;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @clamp(5000) max_nodes: number = 1000;
}

export class EntityExistsQuery {
  @IsDefined() @IsString() @MinLength(1) @MaxLength(500) @Matches(NO_NUL, { message: 'name must not contain NUL characters' }) name: string;
}
