import { ApiProperty, ApiPropertyOptional, ApiPropertyOptions } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsNotEmpty, IsObject, IsOptional, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';

const NOT_BLANK = /[^\s\u0000]/;
const NO_NUL = /^[^\u0000]*$/;

/**
 * One property decorator made of several, listed as they would be stacked
 * above the property (top first). A stack is applied bottom-up, so they are
 * applied last to first here too: class-validator then runs and reports the
 * checks in the same order as the stacked form. `make` gets the property's
 * name for the messages.
 */
function stacked(make: (property: string) => PropertyDecorator[]): PropertyDecorator {
  return (target, key) => {
    for (const decorator of make(String(key)).reverse()) decorator(target, key);
  };
}

/**
 * A display name (tenant_name, kb_name): a string of at most `maxLength`
 * characters with something besides white space and no NUL character;
 * required unless `optional` (then it may be omitted, but not sent blank).
 */
export function DisplayNameField(opts: { maxLength: number; example?: string; optional?: boolean }): PropertyDecorator {
  const { maxLength, example, optional } = opts;
  return stacked((property) => [
    ...(optional ? [ApiPropertyOptional({ maxLength }), IsOptional()] : [ApiProperty({ ...(example !== undefined && { example }), maxLength })]),
    IsString(),
    IsNotEmpty(),
    MaxLength(maxLength),
    Matches(NOT_BLANK, { message: `${property} must not be blank` }),
    Matches(NO_NUL, { message: `${property} must not contain NUL characters` }),
  ]);
}

/** An optional free text (a description): a string of at most `maxLength` characters without NUL; may be empty. */
export function OptionalTextField(maxLength: number): PropertyDecorator {
  return stacked((property) => [
    ApiPropertyOptional({ maxLength }),
    IsOptional(),
    IsString(),
    MaxLength(maxLength),
    Matches(NO_NUL, { message: `${property} must not contain NUL characters` }),
  ]);
}

/**
 * An optional JSON object (not an array), turned into an instance of `type`
 * and validated by that class's own decorators. `api` adds to the OpenAPI
 * property (e.g. a description).
 */
export function OptionalObjectField(type: new () => object, api: ApiPropertyOptions = {}): PropertyDecorator {
  return stacked(() => [ApiPropertyOptional({ type, ...api }), IsOptional(), IsObject(), ValidateNested(), Type(() => type)]);
}
