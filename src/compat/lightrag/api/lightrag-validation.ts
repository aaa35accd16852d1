import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { LightragValidationError, PydanticError } from './lightrag-errors';

function collect(errors: ValidationError[], loc: Array<string | number>, out: PydanticError[]): void {
  for (const e of errors) {
    const here = [...loc, /^\d+$/.test(e.property) ? Number(e.property) : e.property];
    if (e.constraints) {
      const keys = Object.keys(e.constraints);
      // "missing" first (pydantic's "Field required"), then a type check, then the rest.
      const missing = e.value === undefined || e.value === null;
      const key = keys.find((k) => k === 'isDefined') ?? keys.find((k) => /^is[A-Z]/.test(k) && k !== 'isNotEmpty') ?? keys[0];
      out.push(
        missing && keys.some((k) => k !== 'isOptional')
          ? { type: 'missing', loc: here, msg: 'Field required', input: null }
          : { type: pydanticType(key), loc: here, msg: e.constraints[key], input: clip(e.value) },
      );
    }
    if (e.children?.length) collect(e.children, here, out);
  }
}

function pydanticType(constraint: string): string {
  if (/^isInt$/.test(constraint)) return 'int_type';
  if (/^isString$/.test(constraint)) return 'string_type';
  if (/^isBoolean$/.test(constraint)) return 'bool_type';
  if (/^isArray$/.test(constraint)) return 'list_type';
  if (/^isIn$|^isEnum$/.test(constraint)) return 'literal_error';
  if (/^min$/.test(constraint)) return 'greater_than_equal';
  if (/^max$/.test(constraint)) return 'less_than_equal';
  if (/^minLength$|^arrayMinSize$/.test(constraint)) return 'string_too_short';
  if (/^maxLength$|^arrayMaxSize$/.test(constraint)) return 'string_too_long';
  return 'value_error';
}

/** An input echoed back in a validation error: short strings and scalars only. */
function clip(v: unknown): unknown {
  if (typeof v === 'string') return v.length > 100 ? `${v.slice(0, 100)}…` : v;
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return v;
  return undefined;
}

/**
 * Validates a LightRAG request body against a class-validator DTO the way
 * pydantic does for LightRAG: unknown fields are ignored (LightRAG's models
 * use extra="ignore", and its WebUI sends deprecated ones), and a failure is a
 * 422 {"detail": [{type, loc: ["body", field], msg, input}]}.
 * The handlers take the raw body (`@Body() body: unknown`), which the global
 * ValidationPipe does not touch, and call this.
 */
export function parseLightrag<T extends object>(cls: new () => T, body: unknown, where: 'body' | 'query' = 'body'): T {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new LightragValidationError([
      { type: 'model_attributes_type', loc: [where], msg: 'Input should be a valid dictionary or object to extract fields from', input: clip(body) },
    ]);
  }
  const dto = plainToInstance(cls, body, { excludeExtraneousValues: false });
  const errors = validateSync(dto, { whitelist: true, forbidNonWhitelisted: false, forbidUnknownValues: false });
  if (errors.length > 0) {
    const out: PydanticError[] = [];
    collect(errors, [where], out);
    throw new LightragValidationError(out);
  }
  return dto;
}
