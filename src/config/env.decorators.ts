import { Expose } from 'class-transformer';
import { ValidateBy, ValidationArguments } from 'class-validator';

/**
 * Decorators for the environment DTOs (one class per domain, properties named
 * after the variables they read). Every value arrives as a trimmed string or
 * undefined (blank counts as unset); each validator passes undefined, so a
 * variable is optional unless a rule says otherwise, and its message is the
 * reason printed after the variable's name: "Invalid configuration: PORT must
 * be an integer, got "eighty"".
 */

const SECRETS = new WeakMap<object, Set<string>>();

/** Reads the variable named like the property (class-transformer exposes only these). */
export function Env(): PropertyDecorator {
  return Expose();
}

/**
 * A credential or a value that can hold one (a URL with a password): never
 * logged (describeSettings redacts it) and never echoed in a ConfigError.
 */
export function Secret(): PropertyDecorator {
  return (target, property) => {
    const set = SECRETS.get(target.constructor) ?? new Set<string>();
    set.add(String(property));
    SECRETS.set(target.constructor, set);
  };
}

/** The variables a domain class marks @Secret(). */
export function secretVariables(domain: abstract new () => object): string[] {
  return [...(SECRETS.get(domain) ?? [])];
}

type Check = (raw: string, args: ValidationArguments) => string | null;

/** One rule: `check` returns null when the raw value is fine, else the reason; an unset variable passes unless `unset` is true. */
function rule(name: string, check: Check, unset = false): PropertyDecorator {
  const reasons = new WeakMap<object, Map<string, string>>();
  return ValidateBy({
    name,
    validator: {
      validate(value: unknown, args: ValidationArguments): boolean {
        if (value === undefined && !unset) return true;
        const reason = check(value === undefined ? '' : String(value), args);
        if (reason === null) return true;
        const byProperty = reasons.get(args.object) ?? new Map<string, string>();
        byProperty.set(args.property, reason);
        reasons.set(args.object, byProperty);
        return false;
      },
      defaultMessage(args: ValidationArguments): string {
        return reasons.get(args.object)?.get(args.property) ?? 'is invalid';
      },
    },
  });
}

export function IsIntegerEnv(min: number, max: number): PropertyDecorator {
  return rule('isIntegerEnv', (raw) => {
    if (!/^-?\d+$/.test(raw)) return `must be an integer, got "${raw}"`;
    const n = Number(raw);
    return n < min || n > max ? `must be between ${min} and ${max}, got ${n}` : null;
  });
}

export function IsNumberEnv(min: number, max: number): PropertyDecorator {
  return rule('isNumberEnv', (raw) => {
    const n = Number(raw);
    if (!Number.isFinite(n)) return `must be a number, got "${raw}"`;
    return n < min || n > max ? `must be between ${min} and ${max}, got ${n}` : null;
  });
}

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];

export function IsBooleanEnv(): PropertyDecorator {
  return rule('isBooleanEnv', (raw) => (TRUE.includes(raw.toLowerCase()) || FALSE.includes(raw.toLowerCase()) ? null : `must be true or false, got "${raw}"`));
}

/** One of `allowed`, compared after `normalise` (lower-case unless told otherwise). */
export function IsOneOfEnv(allowed: readonly string[], normalise: (raw: string) => string = (raw) => raw.toLowerCase()): PropertyDecorator {
  return rule('isOneOfEnv', (raw) => (allowed.includes(normalise(raw)) ? null : `must be one of ${allowed.join(', ')}, got "${raw}"`));
}

/** A URL with one of `protocols` ("postgres:"…); the reason shows the protocol only, never the URL (it may hold a password). */
export function IsUrlEnv(protocols: readonly string[]): PropertyDecorator {
  return rule('isUrlEnv', (raw) => {
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      return 'must be a URL';
    }
    return protocols.includes(parsed.protocol) ? null : `must use ${protocols.join(' or ')}, got "${parsed.protocol}"`;
  });
}

/** Any other rule on a set variable's raw value (and the other variables of the domain, through args.object). */
export function EnvRule(name: string, check: Check): PropertyDecorator {
  return rule(name, check);
}

/** The variable must be set when `needed(domain)` holds. */
export function RequiredWhen<T extends object>(needed: (domain: T) => boolean, reason: string): PropertyDecorator {
  return rule('requiredWhen', (_raw, args) => (args.value === undefined && needed(args.object as T) ? reason : null), true);
}

export function parseBool(raw: string | undefined, def: boolean): boolean {
  return raw === undefined ? def : TRUE.includes(raw.toLowerCase());
}

export function parseNumber(raw: string | undefined, def: number): number {
  return raw === undefined ? def : Number(raw);
}
