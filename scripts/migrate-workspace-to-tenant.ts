/**
 * Imports a LightRAG workspace into a Strata tenant and KB (README: Moving from LightRAG).
 *
 *   scripts/migrate-workspace-to-tenant --working-dir ./rag_storage [--tenant NAME] [--kb NAME] [--dry-run]
 *   scripts/migrate-workspace-to-tenant --pg-url postgres://… --workspace myworkspace [--tenant …] [--kb …] [--dry-run]
 *
 * Writes into the database Strata uses (DATABASE_URL, or the embedded one in
 * DATA_DIR — stop the server first: PGlite serves one process at a time).
 * Idempotent: documents already imported are skipped.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AppModule } from '../src/app.module';
import { readJsonWorkspace } from '../src/compat/lightrag/json-workspace.reader';
import { readPgWorkspace } from '../src/compat/lightrag/pg-workspace.reader';
import { WorkspaceImporter } from '../src/compat/lightrag/workspace-importer.service';
import { ConfigError, parseSettings } from '../src/config/app-config';

const USAGE = `usage: migrate-workspace-to-tenant (--working-dir DIR | --pg-url URL --workspace NAME) [--tenant NAME] [--kb NAME] [--dry-run] [--json]`;

const OPTIONS = {
  'working-dir': { type: 'string' },
  'pg-url': { type: 'string' },
  workspace: { type: 'string' },
  tenant: { type: 'string' },
  kb: { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

async function main(): Promise<number> {
  let args: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true }>>['values'];
  try {
    args = parseArgs({
      options: OPTIONS,
      strict: true,
    }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const fromDir = args['working-dir'];
  const fromPg = args['pg-url'];
  if (!!fromDir === !!fromPg || (fromPg && !args.workspace)) {
    process.stderr.write(`give either --working-dir, or --pg-url with --workspace\n${USAGE}\n`);
    return 2;
  }
  const log = (line: string) => process.stdout.write(`${line}\n`);

  const workspace = fromDir ? readJsonWorkspace(fromDir, args.workspace ?? basename(resolve(fromDir))) : await readPgWorkspace(fromPg!, args.workspace!);
  log(
    `read workspace "${workspace.name}": ${workspace.documents.length} documents, ` +
      `${workspace.documents.reduce((n, d) => n + d.chunks.length, 0)} chunks, ${workspace.entities.length} entities, ${workspace.relations.length} relations`,
  );

  // The script writes directly: no HTTP, no background worker in this process.
  const settings = parseSettings({ ...process.env, WORKER_CONCURRENCY: '0', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(settings), { logger: ['error', 'warn'] });
  try {
    const summary = await app.get(WorkspaceImporter).import(workspace, { tenant: args.tenant, kb: args.kb, dryRun: args['dry-run'], onProgress: log });
    if (args.json) log(JSON.stringify(summary));
    log(
      `${summary.dry_run ? 'dry run — nothing written. ' : ''}tenant ${summary.tenant_slug}${summary.created_tenant ? ' (created)' : ''}, ` +
        `KB ${summary.kb_name}${summary.created_kb ? ' (created)' : ''}: ${summary.documents_imported} documents ` +
        `${summary.dry_run ? 'to import' : 'imported'}, ${summary.documents_skipped} already present, ${summary.chunks_imported} chunks, ` +
        `${summary.entities_linked} entities and ${summary.relations_linked} relations linked`,
    );
    return 0;
  } finally {
    await app.close();
  }
}

main()
  .then((code) => process.exit(code))
  .catch((err: unknown) => {
    process.stderr.write(`migrate-workspace-to-tenant: ${err instanceof ConfigError ? err.message : (err as Error).message}\n`);
    process.exit(1);
  });
