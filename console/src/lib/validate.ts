/**
 * Form validation before anything is sent: each rule returns the message to
 * show under the field, or null. `validate` runs a form's rules and returns
 * only the failing fields, so `Object.keys(errors).length === 0` means send.
 * The rules mirror the server's DTOs; the server still checks everything.
 */
export type Rule = (value: string) => string | null;
export type Errors<K extends string> = Partial<Record<K, string>>;

export const required =
  (label: string): Rule =>
  (v) =>
    v.trim() ? null : `${label} is required.`;

export const maxLength =
  (label: string, n: number): Rule =>
  (v) =>
    v.length > n ? `${label} must be at most ${n} characters.` : null;

export const minLength =
  (label: string, n: number): Rule =>
  (v) =>
    v && v.length < n ? `${label} must be at least ${n} characters.` : null;

export const pattern =
  (re: RegExp, message: string): Rule =>
  (v) =>
    v && !re.test(v) ? message : null;

/** An optional whole number within [min, max]; empty is allowed. */
export const integerIn =
  (label: string, min: number, max = Number.MAX_SAFE_INTEGER): Rule =>
  (v) => {
    if (!v.trim()) return null;
    if (!/^\d+$/.test(v.trim())) return `${label} must be a whole number.`;
    const n = Number(v);
    return n < min || n > max ? `${label} must be between ${min} and ${max}.` : null;
  };

/** An optional number ≥ min (decimals allowed); empty is allowed. */
export const numberAtLeast =
  (label: string, min: number): Rule =>
  (v) => {
    if (!v.trim()) return null;
    const n = Number(v);
    return Number.isFinite(n) && n >= min ? null : `${label} must be a number of at least ${min}.`;
  };

/** An optional date (yyyy-mm-dd) after today. */
export const futureDate =
  (label: string, today: () => Date = () => new Date()): Rule =>
  (v) => {
    if (!v) return null;
    const d = new Date(`${v}T23:59:59Z`);
    if (Number.isNaN(d.getTime())) return `${label} is not a date.`;
    return d.getTime() <= today().getTime() ? `${label} must be in the future.` : null;
  };

export function validate<K extends string>(values: Record<K, string>, rules: Partial<Record<K, Rule[]>>): Errors<K> {
  const errors: Errors<K> = {};
  for (const key of Object.keys(rules) as K[]) {
    for (const rule of rules[key] ?? []) {
      const message = rule(values[key] ?? '');
      if (message) {
        errors[key] = message;
        break;
      }
    }
  }
  return errors;
}

export const hasErrors = (e: Errors<string>): boolean => Object.keys(e).length > 0;

/** The rules the server applies to these fields (tenants.dto.ts, users.dto.ts, knowledge-bases.dto.ts). */
export const rules = {
  displayName: (label: string): Rule[] => [required(label), maxLength(label, 200)],
  description: [maxLength('Description', 2000)],
  slug: [pattern(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'Slug must be 1-63 lowercase letters, digits or dashes, not starting or ending with a dash.')],
  username: [required('Username'), pattern(/^[A-Za-z0-9._@-]{3,64}$/, 'Username must be 3-64 letters, digits or . _ @ -')],
  password: [required('Password'), minLength('Password', 8), maxLength('Password', 256)],
};
