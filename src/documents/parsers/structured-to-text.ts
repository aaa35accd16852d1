import { AppException } from '../../common/app-exception';
import { collapseWhitespace } from '../../common/text';
import { DEFAULT_PARSE_LIMITS, ParseLimits, textTooLarge } from './limits';

/** Deeper JSON than any real data file nests (and a path that long says nothing). */
export const MAX_JSON_DEPTH = 100;

/** Collects output lines, throwing 413 as soon as they pass the cap (a CSV or JSON may expand its input). */
class LineSink {
  readonly lines: string[] = [];
  private bytes = 0;
  constructor(
    private readonly name: string,
    private readonly limits: ParseLimits,
  ) {}
  push(line: string): void {
    this.bytes += Buffer.byteLength(line, 'utf8') + 1;
    if (this.bytes > this.limits.maxExtractedBytes) throw textTooLarge(this.name, this.limits);
    this.lines.push(line);
  }
}

/**
 * RFC 4180 CSV rows: quoted fields with "" escapes and embedded
 * separators/newlines; separator , or ; or tab (sniffed). One pass: each
 * field is sliced out of the text (never built a character at a time).
 */
export function parseCsv(text: string): string[][] {
  const nl = text.indexOf('\n');
  const firstLine = nl >= 0 ? text.slice(0, nl) : text;
  const count = (c: string) => firstLine.split(c).length - 1;
  const sep = [',', ';', '\t'].reduce((best, c) => (count(c) > count(best) ? c : best), ',');
  const rows: string[][] = [];
  let row: string[] = [];
  const endRow = () => {
    if (row.some((f) => f.trim() !== '')) rows.push(row);
    row = [];
  };
  let i = 0;
  let start = 0; // where the current unquoted field began
  let blank = true; // that field holds only whitespace so far (so a quote may open it)
  while (i <= text.length) {
    const c = text[i];
    if (c === '"' && blank) {
      // A quoted field: up to the closing quote, "" standing for one quote.
      const pieces: string[] = [];
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) {
          pieces.push(text.slice(j));
          j = text.length;
          break;
        }
        pieces.push(text.slice(j, q));
        if (text[q + 1] === '"') {
          pieces.push('"');
          j = q + 2;
        } else {
          j = q + 1;
          break;
        }
      }
      // Anything between the closing quote and the separator belongs to the field too.
      let k = j;
      while (k < text.length && text[k] !== sep && text[k] !== '\n' && text[k] !== '\r') k++;
      pieces.push(text.slice(j, k));
      row.push(pieces.join(''));
      i = k;
      if (i >= text.length) break;
      blank = true;
      if (text[i] === sep) {
        start = ++i;
        if (i === text.length) row.push('');
        continue;
      }
      if (text[i] === '\r' && text[i + 1] === '\n') i++;
      endRow();
      start = ++i;
      continue;
    }
    if (i === text.length || c === sep || c === '\n' || c === '\r') {
      row.push(text.slice(start, i));
      if (i === text.length) break;
      if (c !== sep) {
        if (c === '\r' && text[i + 1] === '\n') i++;
        endRow();
      }
      start = i + 1;
      blank = true;
    } else if (blank && c.trim() !== '') blank = false;
    i++;
  }
  endRow();
  return rows;
}

/** CSV → one line per data row: "col: value; col: value" (header row as names; empty values skipped); at most maxExtractedBytes. */
export function csvToText(text: string, name = 'The file', limits: ParseLimits = DEFAULT_PARSE_LIMITS): string {
  const rows = parseCsv(text);
  if (rows.length === 0) return '';
  const header = rows[0].map((h, i) => h.trim() || `column ${i + 1}`);
  const out = new LineSink(name, limits);
  if (rows.length === 1) out.push(header.join('; '));
  for (let r = 1; r < rows.length; r++) {
    const cells: string[] = [];
    rows[r].forEach((v, i) => {
      const value = collapseWhitespace(v.trim());
      if (value !== '') cells.push(`${header[i] ?? `column ${i + 1}`}: ${value}`);
    });
    if (cells.length) out.push(cells.join('; '));
  }
  return out.lines.join('\n');
}

/**
 * JSON → "path: value" lines (a.b[0].c: value), in document order. The walk
 * is iterative (no recursion to overflow); deeper than MAX_JSON_DEPTH → 400;
 * the lines are capped at maxExtractedBytes (paths repeat, so the text can
 * be larger than the file).
 */
export function jsonToText(text: string, fileName: string, limits: ParseLimits = DEFAULT_PARSE_LIMITS): string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw AppException.validation(`${fileName} is not valid JSON: ${(err as Error).message}.`);
  }
  const out = new LineSink(fileName, limits);
  const stack: Array<{ v: unknown; path: string; depth: number }> = [{ v: value, path: '', depth: 0 }];
  while (stack.length) {
    const { v, path, depth } = stack.pop()!;
    const shown = path || '(root)';
    if (v !== null && typeof v === 'object') {
      if (depth >= MAX_JSON_DEPTH) throw AppException.validation(`${fileName} nests JSON deeper than ${MAX_JSON_DEPTH} levels.`);
      const children: Array<{ v: unknown; path: string; depth: number }> = Array.isArray(v)
        ? v.map((x, i) => ({ v: x, path: `${path}[${i}]`, depth: depth + 1 }))
        : Object.entries(v as Record<string, unknown>).map(([k, x]) => ({ v: x, path: path ? `${path}.${k}` : k, depth: depth + 1 }));
      if (children.length === 0) out.push(`${shown}: ${Array.isArray(v) ? '[]' : '{}'}`);
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
    } else {
      out.push(`${shown}: ${v === null ? 'null' : String(v)}`);
    }
  }
  return out.lines.join('\n');
}
