import { ValidationError, ValidationPipe } from '@nestjs/common';
import { AppException, FieldError } from './app-exception';

function flatten(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    const field = parent ? `${parent}.${e.property}` : e.property;
    if (e.constraints) {
      for (const msg of Object.values(e.constraints)) out.push({ field, message: msg });
    }
    if (e.children?.length) out.push(...flatten(e.children, field));
  }
  return out;
}

/** class-validator over every DTO: unknown fields rejected, one detail per bad field. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    stopAtFirstError: true,
    exceptionFactory: (errors) => {
      const details = flatten(errors);
      const first = details[0];
      return AppException.validation(
        first ? `Invalid request: ${first.field} — ${first.message}.` : 'The request failed validation.',
        details,
      );
    },
  });
}
