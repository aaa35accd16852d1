import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A LightRAG installation for the migration tests, and the compiled migration script run in its own process. */
export const DEMO = join(__dirname, '..', 'fixtures', 'lightrag-workspace', 'demo');
export const SCRIPT = join(__dirname, '..', '..', 'dist', 'scripts', 'migrate-workspace-to-tenant.js');

interface Doc {
  id: string;
  file: string;
  text: string;
}

/** A LightRAG JSON workspace without GraphML: the graph comes from the vector stores. */
export function writeWorkspace(
  dir: string,
  docs: Doc[],
  entities: Array<{ name: string; chunk: string }>,
  relations: Array<{ src: string; tgt: string; chunk: string }>,
  orphanChunks: string[] = [],
): void {
  mkdirSync(dir, { recursive: true });
  const full = Object.fromEntries(docs.map((d) => [d.id, { content: d.text, file_path: d.file }]));
  const chunks: Record<string, object> = Object.fromEntries(docs.map((d) => [`chunk-${d.id}`, { full_doc_id: d.id, content: d.text, chunk_order_index: 0, tokens: 12 }]));
  for (const id of orphanChunks) chunks[id] = { full_doc_id: 'doc-missing', content: 'A chunk whose document is gone.', chunk_order_index: 0, tokens: 6 };
  writeFileSync(join(dir, 'kv_store_full_docs.json'), JSON.stringify(full));
  writeFileSync(join(dir, 'kv_store_text_chunks.json'), JSON.stringify(chunks));
  writeFileSync(
    join(dir, 'vdb_entities.json'),
    JSON.stringify({ data: entities.map((e) => ({ entity_name: e.name, content: `${e.name}\nAbout ${e.name}.`, source_id: e.chunk })) }),
  );
  writeFileSync(
    join(dir, 'vdb_relationships.json'),
    JSON.stringify({ data: relations.map((r) => ({ src_id: r.src, tgt_id: r.tgt, content: `uses\t${r.src}\n${r.tgt}\n${r.src} uses ${r.tgt}.`, source_id: r.chunk })) }),
  );
}

/** default (the demo fixture: 2 documents), acme (2 documents, one entity without a supporting chunk), globex (1 document, one chunk without its document). */
export function installation(): string {
  const root = mkdtempSync(join(tmpdir(), 'strata-lightrag-multi-'));
  cpSync(DEMO, root, { recursive: true });
  writeWorkspace(
    join(root, 'acme'),
    [
      { id: 'doc-acme-1', file: 'anvils.txt', text: 'Acme Corporation sells anvils to coyotes in the desert.' },
      { id: 'doc-acme-2', file: 'rockets.txt', text: 'Acme Corporation also sells rocket skates that rarely work.' },
    ],
    [
      { name: 'Acme Corporation', chunk: 'chunk-doc-acme-1' },
      { name: 'Rocket Skates', chunk: 'chunk-doc-acme-2' },
      { name: 'Ghost Entity', chunk: 'chunk-nowhere' },
    ],
    [{ src: 'Acme Corporation', tgt: 'Rocket Skates', chunk: 'chunk-doc-acme-2' }],
  );
  writeWorkspace(
    join(root, 'globex'),
    [{ id: 'doc-globex-1', file: 'globex.txt', text: 'Globex Corporation is run by Hank Scorpio in Cypress Creek.' }],
    [{ name: 'Hank Scorpio', chunk: 'chunk-doc-globex-1' }],
    [],
    ['chunk-orphan'],
  );
  mkdirSync(join(root, 'notes'));
  writeFileSync(join(root, 'notes', 'README.txt'), 'not a workspace');
  return root;
}

export function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string; stdout: string }> {
  return new Promise((resolve) => {
    let out = '';
    let stdout = '';
    // No ADMIN_PASSWORD: were the script to bootstrap a platform admin, it would generate a password and print it.
    const base = { ...process.env };
    delete base.ADMIN_PASSWORD;
    const child = spawn(process.execPath, [SCRIPT, ...args], { env: { ...base, ...env } });
    child.stdout.on('data', (d) => ((out += d), (stdout += d)));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve({ code, out, stdout }));
  });
}
