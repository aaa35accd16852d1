/**
 * Imports LightRAG workspaces into Strata tenants and KBs (README: Moving from LightRAG).
 *
 *   scripts/migrate-workspace-to-tenant --working-dir ./rag_storage [--tenant NAME] [--kb NAME] [--dry-run] [--json]
 *   scripts/migrate-workspace-to-tenant --working-dir ./rag_storage --all [--kb NAME] [--dry-run] [--json]
 *   scripts/migrate-workspace-to-tenant --pg-url postgres://… (--workspace NAME | --all) [--tenant …] [--kb …] [--dry-run] [--json]
 *
 * Each workspace goes to its own tenant, named after it (the default, empty
 * workspace → tenant `default`). Everything of a workspace is read and checked
 * before its first write, so a corrupt file writes nothing for that workspace;
 * a failed workspace is reported and the others still run; the exit code is 1
 * when any failed. Idempotent: documents already imported are skipped.
 *
 * Writes into the database Strata uses (DATABASE_URL, or the embedded one in
 * DATA_DIR — stop the server first: PGlite serves one process at a time). It
 * boots WorkspaceImportModule, not the server: no HTTP, no worker, no admin bootstrap.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { MultiBar, Presets } from 'cli-progress';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { listJsonWorkspaces, readJsonWorkspace } from '../src/compat/lightrag/json-workspace.reader';
import { listPgWorkspaces, readPgWorkspace } from '../src/compat/lightrag/pg-workspace.reader';
import { ImportSummary, ItemCounts, WorkspaceImporter } from '../src/compat/lightrag/workspace-importer.service';
import { WorkspaceImportModule } from '../src/compat/lightrag/workspace-import.module';
import type { Workspace } from '../src/compat/lightrag/workspace.types';
import { ConfigError, parseSettings } from '../src/config/app-config';

const USAGE =
  'usage: migrate-workspace-to-tenant (--working-dir DIR [--all | --workspace NAME] | --pg-url URL (--all | --workspace NAME)) ' +
  '[--tenant NAME] [--kb NAME] [--dry-run] [--json]';

const OPTIONS = {
  'working-dir': { type: 'string' },
  'pg-url': { type: 'string' },
  workspace: { type: 'string' },
  all: { type: 'boolean', default: false },
  tenant: { type: 'string' },
  kb: { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
} as const;

/** One workspace to migrate: its LightRAG name ('' = default), the tenant it goes to, and how to read it. */
interface Target {
  workspace: string;
  tenant: string;
  read: () => Promise<Workspace>;
}

interface WorkspaceResult {
  workspace: string;
  tenant: string;
  ok: boolean;
  error?: string;
  /** True when the workspace failed before its first write (a corrupt or missing file). */
  nothing_written?: boolean;
  summary?: ImportSummary;
}

const label = (workspace: string) => (workspace === '' ? '(default)' : workspace);

function targetsFromDir(dir: string, all: boolean, workspace: string | undefined, tenant: string | undefined): Target[] {
  if (all) {
    const found = listJsonWorkspaces(dir);
    if (!found.length) throw new Error(`no LightRAG storage files in ${resolve(dir)} or its sub-directories`);
    return found.map((w) => ({ workspace: w.workspace, tenant: w.workspace || 'default', read: async () => readJsonWorkspace(w.dir, w.workspace || 'default') }));
  }
  // --workspace NAME picks the sub-directory NAME; without one, DIR itself is the workspace (named NAME, or after DIR).
  const sub = workspace ? join(resolve(dir), workspace) : null;
  const wsDir = sub && existsSync(sub) ? sub : dir;
  const name = workspace ?? basename(resolve(dir));
  return [{ workspace: name, tenant: tenant ?? name, read: async () => readJsonWorkspace(wsDir, name) }];
}

async function targetsFromPg(url: string, all: boolean, workspace: string | undefined, tenant: string | undefined): Promise<Target[]> {
  if (!all) return [{ workspace: workspace!, tenant: tenant ?? workspace!, read: () => readPgWorkspace(url, workspace!) }];
  const names = await listPgWorkspaces(url);
  if (!names.length) throw new Error('no workspace in the LIGHTRAG_* tables');
  return names.map((w) => ({ workspace: w, tenant: w || 'default', read: async () => ({ ...(await readPgWorkspace(url, w, { allowEmpty: true })), name: w || 'default' }) }));
}

function countsLine(kind: string, c: ItemCounts, dryRun: boolean): string {
  return `  ${kind.padEnd(9)} ${c.found} found, ${c.imported} ${dryRun ? 'to import' : 'imported'}, ${c.already_present} already present, ${c.skipped} skipped`;
}

function humanSummary(results: WorkspaceResult[], dryRun: boolean): string[] {
  const lines: string[] = [''];
  for (const r of results) {
    const s = r.summary;
    if (!r.ok || !s) {
      const written = r.nothing_written ? 'nothing written for this workspace' : 'documents written before the failure stay; a second run continues after them';
      lines.push(`workspace ${label(r.workspace)} → tenant ${r.tenant}: FAILED — ${r.error} (${written})`);
      continue;
    }
    lines.push(
      `workspace ${label(r.workspace)} → ${dryRun ? 'dry run — nothing written. ' : ''}tenant ${s.tenant_slug}${s.created_tenant ? ' (created)' : ''}, ` +
        `KB ${s.kb_name}${s.created_kb ? ' (created)' : ''}: ${s.documents_imported} documents ` +
        `${dryRun ? 'to import' : 'imported'}, ${s.documents_skipped} already present, ${s.chunks_imported} chunks, ` +
        `${s.entities_linked} entities and ${s.relations_linked} relations linked`,
    );
    lines.push(countsLine('documents', s.counts.documents, dryRun), countsLine('chunks', s.counts.chunks, dryRun));
    lines.push(countsLine('entities', s.counts.entities, dryRun), countsLine('relations', s.counts.relations, dryRun));
    for (const k of s.skipped) lines.push(`  skipped ${k.kind} ${k.id}: ${k.reason}`);
  }
  const failed = results.filter((r) => !r.ok).length;
  lines.push(`${results.length} workspace(s): ${results.length - failed} ${dryRun ? 'checked (dry run)' : 'migrated'}, ${failed} failed`);
  return lines;
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true }>>['values'];
  try {
    args = parseArgs({ options: OPTIONS, strict: true }).values;
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
  const usage = (why: string) => {
    process.stderr.write(`${why}\n${USAGE}\n`);
    return 2;
  };
  if (!!fromDir === !!fromPg) return usage('give either --working-dir or --pg-url');
  if (args.all && args.workspace !== undefined) return usage('give --all or --workspace, not both');
  if (args.all && args.tenant) return usage('--tenant names one tenant: with --all each workspace goes to the tenant named after it');
  if (fromPg && !args.all && !args.workspace) return usage('with --pg-url, give --workspace NAME or --all');

  const dryRun = args['dry-run'];
  const json = args.json;
  // Progress: bars on a terminal, plain lines otherwise; with --json, stdout carries the JSON document only.
  const bars =
    !json && process.stdout.isTTY
      ? new MultiBar({ format: '{workspace} [{bar}] {value}/{total} documents', hideCursor: true, clearOnComplete: false }, Presets.shades_classic)
      : null;
  const log = (line: string): void => {
    if (bars) {
      bars.log(`${line}\n`);
      bars.update(); // the log buffer is written on the next redraw: redraw now
    } else (json ? process.stderr : process.stdout).write(`${line}\n`);
  };

  const targets = fromDir ? targetsFromDir(fromDir, args.all, args.workspace, args.tenant) : await targetsFromPg(fromPg!, args.all, args.workspace, args.tenant);
  let app: INestApplicationContext | null = null;
  const results: WorkspaceResult[] = [];
  try {
    for (const t of targets) {
      const result: WorkspaceResult = { workspace: t.workspace, tenant: t.tenant, ok: false };
      results.push(result);
      try {
        // Read and check the whole workspace before anything is written for it.
        let ws: Workspace;
        try {
          ws = await t.read();
        } catch (err) {
          result.nothing_written = true;
          throw new Error(`workspace ${label(t.workspace)}: ${(err as Error).message}`, { cause: err });
        }
        if (!bars) {
          log(
            `read workspace ${label(t.workspace)}: ${ws.documents.length} documents, ${ws.documents.reduce((n, d) => n + d.chunks.length, 0)} chunks, ` +
              `${ws.entities.length} entities, ${ws.relations.length} relations`,
          );
        }
        if (!app) {
          // Talks to the database only: no HTTP, no background worker, no admin bootstrap in this process.
          // A throwaway METRICS_TOKEN: without one, the metrics module would generate, store and print the server's token here.
          const settings = parseSettings({
            ...process.env,
            WORKER_CONCURRENCY: '0',
            LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
            METRICS_TOKEN: process.env.METRICS_TOKEN ?? randomBytes(24).toString('base64url'),
          });
          app = await NestFactory.createApplicationContext(WorkspaceImportModule.forRoot(settings), { logger: ['error', 'warn'] });
        }
        const bar = bars?.create(ws.documents.length, 0, { workspace: label(t.workspace).padEnd(16) });
        result.summary = await app.get(WorkspaceImporter).import(ws, {
          tenant: t.tenant,
          kb: args.kb,
          dryRun,
          onProgress: bars ? undefined : log,
          onDocument: (done) => bar?.update(done),
        });
        bar?.stop();
        result.ok = true;
      } catch (err) {
        result.error = err instanceof ConfigError ? err.message : (err as Error).message;
        log(`FAILED: ${result.error}`);
      }
    }
  } finally {
    bars?.stop();
    await app?.close();
  }
  const failed = results.filter((r) => !r.ok).length;
  if (json) process.stdout.write(`${JSON.stringify({ dry_run: dryRun, ok: failed === 0, failed, workspaces: results })}\n`);
  else process.stdout.write(`${humanSummary(results, dryRun).join('\n')}\n`);
  return failed ? 1 : 0;
}

main()
  .then((code) => process.exit(code))
  .catch((err: unknown) => {
    process.stderr.write(`migrate-workspace-to-tenant: ${err instanceof ConfigError ? err.message : (err as Error).message}\n`);
    process.exit(1);
  });
