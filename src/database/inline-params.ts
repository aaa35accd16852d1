import { escapeLiteral } from 'pg';

/** A statement with `$n` placeholders and its values, as repositories write them. */
export interface Statement {
  sql: string;
  params?: readonly unknown[];
}

/**
 * Client-side parameter binding, for the few read paths that send several
 * statements as ONE simple-protocol message (which cannot carry parameters):
 * every `$n` becomes a literal. Strings go through node-postgres's own
 * `escapeLiteral` (quotes doubled, backslashes in an E'' literal), numbers
 * must be finite, booleans and null are keywords; anything else (objects,
 * arrays, NaN) is refused rather than guessed. `$n` must have a value and
 * every value must be used, so a placeholder cannot silently go missing.
 *
 * The SQL text itself must be a constant of the code, as with bound
 * parameters; only the values come from outside.
 */
export function inlineParams({ sql, params = [] }: Statement): string {
  const used = new Set<number>();
  const text = sql.replace(/\$(\d+)/g, (_, n: string) => {
    const i = Number(n) - 1;
    if (i < 0 || i >= params.length) throw new Error(`inlineParams: $${n} has no value (${params.length} given)`);
    used.add(i);
    return literal(params[i], i + 1);
  });
  if (used.size !== params.length) throw new Error(`inlineParams: ${params.length - used.size} value(s) never used`);
  return text;
}

function literal(value: unknown, position: number): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`inlineParams: $${position} is not a finite number`);
    return String(value);
  }
  // Nothing to escape (a vector's text, a UUID): the same literal escapeLiteral would build, without its per-character loop.
  if (typeof value === 'string') return /['\\]/.test(value) ? escapeLiteral(value) : `'${value}'`;
  throw new Error(`inlineParams: $${position} has an unsupported type (${Array.isArray(value) ? 'array' : typeof value})`);
}
