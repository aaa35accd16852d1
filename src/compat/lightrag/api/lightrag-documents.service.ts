import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { iso } from '../../../common/text';
import { AppConfig } from '../../../config/app-config';
import { DatabaseService } from '../../../database/database.service';
import { DocumentRow, DocumentsRepository, DocumentStatus, DocumentSummaryRow } from '../../../documents/documents.repository';
import { DocumentsService, NewDocument } from '../../../documents/documents.service';
import type { DocumentsPageDto, LightragDocStatus } from './lightrag-documents.dto';

/** LightRAG's DocStatusResponse. */
export interface DocStatusResponse {
  id: string;
  content_summary: string;
  content_length: number;
  status: string;
  created_at: string;
  updated_at: string;
  track_id: string | null;
  chunks_count: number | null;
  error_msg: string | null;
  metadata: Record<string, unknown>;
  file_path: string;
}

/** LightRAG's InsertResponse. */
export interface InsertResponse {
  status: 'success' | 'duplicated';
  message: string;
  track_id: string;
}

/** Where a document inserted without a file_source is filed (LightRAG's name; never a duplicate by name). */
export const UNKNOWN_SOURCE = 'unknown_source';

/** Strata's document statuses, in LightRAG's order (Strata has no "preprocessed"). */
const STATUSES: DocumentStatus[] = ['pending', 'processing', 'processed', 'failed'];
/** Most documents GET /documents lists (LightRAG's own bound). */
const LEGACY_LIST_MAX = 1000;
/** Most documents track_status lists for one track id. */
const TRACK_MAX = 1000;
/** Document events pipeline_status reports. */
const HISTORY_MAX = 50;

/** LightRAG's generate_track_id: `<prefix>_YYYYmmdd_HHMMSS_<8 hex>` (UTC here). */
export function lightragTrackId(prefix: string): string {
  const d = new Date().toISOString().replace(/\D/g, '');
  return `${prefix}_${d.slice(0, 8)}_${d.slice(8, 14)}_${randomUUID().slice(0, 8)}`;
}

export function toDocStatus(r: DocumentSummaryRow): DocStatusResponse {
  return {
    id: r.id,
    content_summary: r.content_summary,
    content_length: Number(r.content_length),
    status: r.status,
    created_at: iso(r.created_at)!,
    updated_at: iso(r.updated_at)!,
    track_id: r.track_id,
    chunks_count: r.chunks_count,
    error_msg: r.error,
    metadata: {},
    file_path: r.file_path,
  };
}

/** `{status: n, …, all: N}` with the statuses that have documents. */
function withAll(counts: Partial<Record<DocumentStatus, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  let all = 0;
  for (const s of STATUSES) {
    if (counts[s]) {
      out[s] = counts[s]!;
      all += counts[s]!;
    }
  }
  out.all = all;
  return out;
}

/** One line of pipeline_status's history: when, which document, what happened to it. */
function eventLine(r: DocumentRow): string {
  const what =
    r.status === 'processed'
      ? `processed (${r.chunks_count} chunks)`
      : r.status === 'failed'
        ? `failed: ${(r.error ?? '').slice(0, 300)}`
        : r.status === 'processing'
          ? 'processing'
          : 'queued';
  return `${iso(r.updated_at)} ${r.file_path} (${r.id}): ${what}`;
}

/**
 * The LightRAG document routes' reads and their insert answers, on Strata's
 * documents of one KB (the caller's, resolved by AccessGuard). Writes go
 * through DocumentsService, like the native routes.
 */
@Injectable()
export class LightragDocumentsService {
  constructor(
    private readonly db: DatabaseService,
    private readonly repo: DocumentsRepository,
    private readonly documents: DocumentsService,
    private readonly config: AppConfig,
  ) {}

  /**
   * Stores `docs` under a new `<prefix>_…` track id, or, when one of them is
   * already in the KB (same content, or same file name with
   * LIGHTRAG_COMPAT_DEDUPE_BY_NAME) or repeats another of the request,
   * stores nothing and answers "duplicated" with the existing document's
   * track id. `describe` names the n-th document in messages.
   */
  async insert(tenantId: string, kbId: string, docs: NewDocument[], prefix: 'insert' | 'upload', success: string, describe: (i: number) => string): Promise<InsertResponse> {
    const trackId = lightragTrackId(prefix);
    const byName = this.config.settings.lightragCompatDedupeByName;
    const out = await this.documents.addUnlessDuplicate(tenantId, kbId, docs, trackId, (d) => (byName && d.filePath !== UNKNOWN_SOURCE ? d.filePath : null));
    if (out.kind === 'added') return { status: 'success', message: success, track_id: trackId };
    const what = describe(out.index);
    if (out.existing) {
      const e = out.existing;
      const reason = out.by === 'name' ? `${what} already exists in document storage` : `${what} has the same content as a document already in storage`;
      return { status: 'duplicated', message: `${reason} (doc_id: ${e.id}, Status: ${e.status}). Nothing was stored.`, track_id: e.track_id };
    }
    const reason = out.by === 'name' ? 'the same file source as' : 'the same content as';
    return { status: 'duplicated', message: `${what} has ${reason} ${describe(out.within!)} in this request. Nothing was stored.`, track_id: '' };
  }

  async trackStatus(
    tenantId: string,
    kbId: string,
    trackId: string,
  ): Promise<{ track_id: string; documents: DocStatusResponse[]; total_count: number; status_summary: Record<string, number> }> {
    // No track id holds NUL (PostgreSQL text cannot) or is longer than a few dozen characters.
    const { rows, total } =
      trackId.includes('\u0000') || trackId.length > 256
        ? { rows: [], total: 0 }
        : await this.db.withTenant(tenantId, (db) => this.repo.findByTrackId(db, tenantId, kbId, trackId, TRACK_MAX));
    const summary: Record<string, number> = {};
    for (const r of rows) summary[r.status] = (summary[r.status] ?? 0) + 1;
    return { track_id: trackId, documents: rows.map(toDocStatus), total_count: total, status_summary: summary };
  }

  async page(tenantId: string, kbId: string, q: DocumentsPageDto): Promise<Record<string, unknown>> {
    const page = q.page ?? 1;
    const pageSize = q.page_size ?? 50;
    const wanted: LightragDocStatus[] | null = q.status_filter ? [q.status_filter] : q.status_filters?.length ? q.status_filters : null;
    const statuses = wanted ? STATUSES.filter((s) => wanted.includes(s)) : null;
    return this.db.withTenant(tenantId, async (db) => {
      const counts = await this.repo.countByStatus(db, tenantId, kbId);
      const total = statuses ? statuses.reduce((n, s) => n + (counts[s] ?? 0), 0) : Object.values(counts).reduce((n, c) => n + (c ?? 0), 0);
      const offset = (page - 1) * pageSize;
      const rows =
        offset < total && (statuses === null || statuses.length > 0)
          ? await this.repo.listSummaries(db, tenantId, kbId, {
              statuses,
              sort: q.sort_field ?? 'updated_at',
              direction: q.sort_direction ?? 'desc',
              limit: pageSize,
              offset,
            })
          : [];
      const totalPages = Math.ceil(total / pageSize);
      return {
        documents: rows.map(toDocStatus),
        pagination: { page, page_size: pageSize, total_count: total, total_pages: totalPages, has_next: page < totalPages, has_prev: page > 1 },
        status_counts: withAll(counts),
      };
    });
  }

  async statusCounts(tenantId: string, kbId: string): Promise<{ status_counts: Record<string, number> }> {
    const counts = await this.db.withTenant(tenantId, (db) => this.repo.countByStatus(db, tenantId, kbId));
    return { status_counts: withAll(counts) };
  }

  /** GET /documents: at most 1000 documents grouped by status, taken in turn from each status (newest first within one). */
  async byStatus(tenantId: string, kbId: string): Promise<{ statuses: Record<string, DocStatusResponse[]> }> {
    const lists = await this.db.withTenant(tenantId, async (db) => {
      const out: DocumentSummaryRow[][] = [];
      for (const s of STATUSES)
        out.push(await this.repo.listSummaries(db, tenantId, kbId, { statuses: [s], sort: 'updated_at', direction: 'desc', limit: LEGACY_LIST_MAX, offset: 0 }));
      return out;
    });
    const taken = lists.map(() => 0);
    let n = 0;
    for (let round = 0; n < LEGACY_LIST_MAX && round < LEGACY_LIST_MAX; round++) {
      for (let i = 0; i < lists.length && n < LEGACY_LIST_MAX; i++) {
        if (round < lists[i].length) {
          taken[i]++;
          n++;
        }
      }
    }
    const statuses: Record<string, DocStatusResponse[]> = {};
    STATUSES.forEach((s, i) => {
      if (taken[i] > 0) statuses[s] = lists[i].slice(0, taken[i]).map(toDocStatus);
    });
    return { statuses };
  }

  /**
   * LightRAG's PipelineStatusResponse for the KB: busy while any document is
   * pending or processing; docs/batchs = those documents (Strata ingests one
   * document per job), cur_batch = those being ingested now; the history is
   * the KB's most recent document changes, oldest first.
   */
  async pipelineStatus(tenantId: string, kbId: string): Promise<Record<string, unknown>> {
    const { counts, since, recent } = await this.db.withTenant(tenantId, async (db) => ({
      counts: await this.repo.countByStatus(db, tenantId, kbId),
      since: await this.repo.oldestActive(db, tenantId, kbId),
      recent: await this.repo.recentlyUpdated(db, tenantId, kbId, HISTORY_MAX),
    }));
    const active = (counts.pending ?? 0) + (counts.processing ?? 0);
    const history = recent.reverse().map(eventLine);
    return {
      autoscanned: false,
      busy: active > 0,
      job_name: 'Default Job',
      job_start: since ? iso(since) : null,
      docs: active,
      batchs: active,
      cur_batch: counts.processing ?? 0,
      request_pending: false,
      latest_message: history.length ? history[history.length - 1] : '',
      history_messages: history,
      update_status: null,
    };
  }
}
