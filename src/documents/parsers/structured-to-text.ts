import { AppException } from '../../common/app-exception';

/** RFC 4180 CSV rows: quoted fields with "" escapes and embedded separators/newlines; separator , or ; or tab (sniffed). */
export function parseCsv(text: string): string[][] {
  const firstLine = text.slice(0, text.indexOf('\n') >= 0 ? text.indexOf('\n') : text.length);
  const count = (c: string) => firstLine.split(c).length - 1;
  const sep = [',', ';', '\t'].reduce((best, c) => (count(c) > count(best) ? c : best), ',');
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else field += c;
      i++;
      continue;
    }
    if (c === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (c === sep) {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      row.push(field);
      field = '';
      if (row.some((f) => f.trim() !== '')) rows.push(row);
      row = [];
      if (c === '\r' && text[i + 1] === '\n') i++;
    } else field += c;
    i++;
  }
  row.push(field);
  if (row.some((f) => f.trim() !== '')) rows.push(row);
  return rows;
}

/** CSV → one line per data row: "col: value; col: value" (header row as names; empty values skipped). */
export function csvToText(text: string): string {
  const rows = parseCsv(text);
  if (rows.length === 0) return '';
  const header = rows[0].map((h, i) => h.trim() || `column ${i + 1}`);
  if (rows.length === 1) return header.join('; ');
  return rows
    .slice(1)
    .map((r) =>
      r
        .map((v, i) => [header[i] ?? `column ${i + 1}`, v.trim().replace(/\s+/g, ' ')] as const)
        .filter(([, v]) => v !== '')
        .map(([k, v]) => `${k}: ${v}`)
        .join('; '),
    )
    .filter((l) => l !== '')
    .join('\n');
}

/** JSON → "path: value" lines (a.b[0].c: value), in document order. */
export function jsonToText(text: string, fileName: string): string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw AppException.validation(`${fileName} is not valid JSON: ${(err as Error).message}.`);
  }
  const lines: string[] = [];
  const walk = (v: unknown, path: string) => {
    if (Array.isArray(v)) {
      if (v.length === 0) lines.push(`${path || '(root)'}: []`);
      v.forEach((x, i) => walk(x, `${path}[${i}]`));
    } else if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>);
      if (entries.length === 0) lines.push(`${path || '(root)'}: {}`);
      for (const [k, x] of entries) walk(x, path ? `${path}.${k}` : k);
    } else {
      lines.push(`${path || '(root)'}: ${v === null ? 'null' : String(v)}`);
    }
  };
  walk(value, '');
  return lines.join('\n');
}
