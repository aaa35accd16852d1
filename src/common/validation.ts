import { ValidationError, ValidationPipe } from '@nestjs/common';
import { AppException, FieldError } from './app-exception';

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    const field = parent ? `${parent}.${e.property}` : e.property;
    if (e.constraints) out.push({ field, message: mainMessage(e.constraints) });
    if (e.children?.length) out.push(...flatten(e.children, field));
  }
  return out;
}

/**
 * One message per field, and the one that says what is wrong first: a type
 * check (isInt, isString, isIn…) before a range or length check, so "lots"
 * for top_k reads "must be an integer number", not "must not be greater than
 * 200" (class-validator runs a property's decorators bottom-up, so which one
 * fails first depends on how the DTO stacks them).
 */
function mainMessage(constraints: Record<string, string>): string {
  const keys = Object.keys(constraints);
  const typeCheck = keys.find((k) => /^is[A-Z]/.test(k) && k !== 'isNotEmpty');
  return constraints[typeCheck ?? keys[0]];
}

/** class-validator over every DTO: unknown fields rejected, one detail per bad field. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    exceptionFactory: (errors) => {
      const details = flatten(errors);
      const first = details[0];
      return AppException.validation(first ? `Invalid request: ${first.field} — ${first.message}.` : 'The request failed validation.', details);
    },
  });
}
