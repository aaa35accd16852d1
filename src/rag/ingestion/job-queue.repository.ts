import { Injectable } from '@nestjs/common';
import type { Db } from '../../database/database.service';

/** Jobs of one tenant offered per claim (see claim). */
const HEADS_PER_TENANT = 8;

export interface JobRow {
  id: string;
  tenant_id: string;
  kb_id: string;
  document_id: string;
  kind: string;
  state: 'pending' | 'running' | 'done' | 'failed';
  attempts: number;
  max_attempts: number;
  locked_by: string | null;
  request_id: string | null;
}

/**
 * The ingestion queue's SQL (ADR 003). Enqueueing runs in the tenant's own
 * transaction (the same one that inserts the document); claiming and
 * reclaiming are platform-wide and run as strata_platform.
 */
@Injectable()
export class JobQueueRepository {
  async enqueue(db: Db, tenantId: string, kbId: string, documentId: string, requestId: string | null, maxAttempts: number): Promise<void> {
    await db.exec(`INSERT INTO jobs (tenant_id, kb_id, document_id, kind, max_attempts, request_id) VALUES ($1, $2, $3, 'ingest', $4, $5)`, [
      tenantId,
      kbId,
      documentId,
      maxAttempts,
      requestId,
    ]);
  }

  /**
   * Claims one due job, fairly: every tenant's oldest due job comes before
   * any tenant's second, and among those tenants take turns by the time they
   * were last served (job_tenants.last_claimed_at, never served = first). So
   * one tenant's 10 000 queued documents cost another tenant's single
   * document at most one job per other waiting tenant. SKIP LOCKED lets
   * replicas claim in parallel without blocking on (or double-claiming) the
   * same row; each tenant offers its first few jobs so that two claimers
   * racing for one tenant's head both get work.
   */
  async claim(db: Db, workerId: string): Promise<JobRow | null> {
    const rows = await db.many<JobRow>(
      `WITH ranked AS (
         SELECT j.id, j.tenant_id, j.run_at,
                row_number() OVER (PARTITION BY j.tenant_id ORDER BY j.run_at, j.id) AS rank
         FROM jobs j
         WHERE j.state = 'pending' AND j.run_at <= now()
       ), turn AS (
         SELECT r.id, row_number() OVER (ORDER BY r.rank, t.last_claimed_at NULLS FIRST, r.run_at, r.id) AS pos
         FROM ranked r LEFT JOIN job_tenants t ON t.tenant_id = r.tenant_id
         WHERE r.rank <= ${HEADS_PER_TENANT}
       ), picked AS (
         SELECT j.id
         FROM jobs j JOIN turn ON turn.id = j.id
         WHERE j.state = 'pending'
         ORDER BY turn.pos
         LIMIT 1
         FOR UPDATE OF j SKIP LOCKED
       )
       UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_at = now(), locked_by = $1, updated_at = now()
       FROM picked WHERE jobs.id = picked.id
       RETURNING jobs.id, jobs.tenant_id, jobs.kb_id, jobs.document_id, jobs.kind, jobs.state, jobs.attempts, jobs.max_attempts, jobs.locked_by, jobs.request_id`,
      [workerId],
    );
    const job = rows[0];
    if (!job) return null;
    await db.exec(
      `INSERT INTO job_tenants (tenant_id, last_claimed_at) VALUES ($1, clock_timestamp())
       ON CONFLICT (tenant_id) DO UPDATE SET last_claimed_at = clock_timestamp()`,
      [job.tenant_id],
    );
    await db.exec(`UPDATE documents SET status = 'processing', error = NULL, updated_at = now() WHERE tenant_id = $1 AND kb_id = $2 AND id = $3`, [
      job.tenant_id,
      job.kb_id,
      job.document_id,
    ]);
    return job;
  }

  /**
   * Jobs whose worker stopped heartbeating (crashed, killed, partitioned) go
   * back to pending — or to failed when their attempts are used up — and their
   * documents with them, so nothing stays "processing" forever. A row
   * locked right now belongs to a worker inside its own commit transaction
   * (alive by definition): skipped, not waited for.
   */
  async reclaimStale(db: Db, lockTimeoutMs: number): Promise<number> {
    const rows = await db.many<{ tenant_id: string; kb_id: string; document_id: string; state: string }>(
      `WITH stale AS (
         SELECT id FROM jobs
         WHERE state = 'running' AND locked_at < now() - make_interval(secs => $1::double precision / 1000)
         FOR UPDATE SKIP LOCKED
       )
       UPDATE jobs SET
         state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'pending' END,
         last_error = 'the worker stopped responding (lock expired)',
         locked_at = NULL, locked_by = NULL, run_at = now(), updated_at = now()
       FROM stale WHERE jobs.id = stale.id
       RETURNING jobs.tenant_id, jobs.kb_id, jobs.document_id, jobs.state`,
      [lockTimeoutMs],
    );
    for (const r of rows) {
      await db.exec(`UPDATE documents SET status = $4, error = $5, updated_at = now() WHERE tenant_id = $1 AND kb_id = $2 AND id = $3 AND status = 'processing'`, [
        r.tenant_id,
        r.kb_id,
        r.document_id,
        r.state === 'failed' ? 'failed' : 'pending',
        r.state === 'failed' ? 'The worker processing this document stopped responding too many times.' : null,
      ]);
    }
    return rows.length;
  }

  /**
   * Refreshes the lock. A job row locked right now is inside its worker's own
   * commit transaction (lockIfOwned): the heartbeat skips it rather than wait
   * — waiting heartbeats pile up, one pooled connection each, for as long as
   * a big document's commit runs, until the pool is exhausted (seen on the
   * server: 500s from the API during a 20 MB document's commit).
   */
  async heartbeat(db: Db, jobId: string, workerId: string): Promise<boolean> {
    const updated = await db.exec(
      `UPDATE jobs SET locked_at = now()
       WHERE id = (SELECT id FROM jobs WHERE id = $1 AND locked_by = $2 AND state = 'running' FOR UPDATE SKIP LOCKED)
       RETURNING id`,
      [jobId, workerId],
    );
    return updated > 0;
  }

  /** Inside the tenant's commit transaction: true when this worker still owns the job (locks it until commit). */
  async lockIfOwned(db: Db, tenantId: string, jobId: string, workerId: string): Promise<boolean> {
    const row = await db.one(`SELECT id FROM jobs WHERE tenant_id = $1 AND id = $2 AND locked_by = $3 AND state = 'running' FOR UPDATE`, [tenantId, jobId, workerId]);
    return row !== undefined;
  }

  async complete(db: Db, tenantId: string, jobId: string): Promise<void> {
    await db.exec(`UPDATE jobs SET state = 'done', locked_at = NULL, last_error = NULL, updated_at = now() WHERE tenant_id = $1 AND id = $2`, [tenantId, jobId]);
  }

  /** A failed attempt: back to pending after an exponential backoff, or failed for good. Returns the new state. */
  async fail(db: Db, tenantId: string, jobId: string, workerId: string, error: string, retryable: boolean, backoffBaseMs: number): Promise<'pending' | 'failed' | null> {
    const row = await db.one<{ state: 'pending' | 'failed' }>(
      `UPDATE jobs SET
         state = CASE WHEN $4 AND attempts < max_attempts THEN 'pending' ELSE 'failed' END,
         run_at = now() + make_interval(secs => ($5::double precision / 1000) * power(2, attempts - 1) * (0.75 + random() / 2)),
         last_error = $6, locked_at = NULL, locked_by = NULL, updated_at = now()
       WHERE tenant_id = $1 AND id = $2 AND locked_by = $3 AND state = 'running'
       RETURNING state`,
      [tenantId, jobId, workerId, retryable, backoffBaseMs, error.slice(0, 2000)],
    );
    return row?.state ?? null;
  }

  /**
   * Hands back a job whose attempt this worker abandoned because the
   * database went away (its failure could not be recorded): pending again at
   * once, the attempt not counted — the outage was not the document's fault —
   * and its document back to pending. A no-op (0) when the job is no longer
   * running under this worker: finished (its commit landed before the
   * connection broke) or reclaimed meanwhile.
   */
  async release(db: Db, jobId: string, workerId: string, error: string): Promise<number> {
    const rows = await db.many(
      `WITH released AS (
         UPDATE jobs SET state = 'pending', attempts = greatest(attempts - 1, 0), last_error = $3,
                locked_at = NULL, locked_by = NULL, run_at = now(), updated_at = now()
         WHERE id = $1 AND locked_by = $2 AND state = 'running'
         RETURNING tenant_id, kb_id, document_id
       ), docs AS (
         UPDATE documents d SET status = 'pending', error = NULL, updated_at = now()
         FROM released r WHERE d.tenant_id = r.tenant_id AND d.kb_id = r.kb_id AND d.id = r.document_id AND d.status = 'processing'
         RETURNING d.id
       )
       SELECT document_id FROM released`,
      [jobId, workerId, error.slice(0, 2000)],
    );
    return rows.length;
  }

  async depth(db: Db): Promise<{ pending: number; running: number }> {
    const rows = await db.many<{ state: 'pending' | 'running'; n: number }>(`SELECT state, count(*)::int AS n FROM jobs WHERE state IN ('pending', 'running') GROUP BY state`);
    const out = { pending: 0, running: 0 };
    for (const r of rows) out[r.state] = r.n;
    return out;
  }

  /**
   * Deletes the KB's jobs waiting to run (a running job is left to finish);
   * returns their documents' ids. A job a worker is claiming right now is
   * locked by that claim and no longer pending once the lock is released, so
   * it is not deleted.
   */
  async dropPending(db: Db, tenantId: string, kbId: string): Promise<string[]> {
    const rows = await db.many<{ document_id: string }>(`DELETE FROM jobs WHERE tenant_id = $1 AND kb_id = $2 AND state = 'pending' RETURNING document_id`, [tenantId, kbId]);
    return rows.map((r) => r.document_id);
  }

  /** Replaces the documents' jobs (whatever their state) with fresh pending ones. */
  async requeue(db: Db, tenantId: string, kbId: string, documentIds: string[], requestId: string | null, maxAttempts: number): Promise<void> {
    if (documentIds.length === 0) return;
    await db.exec(`DELETE FROM jobs WHERE tenant_id = $1 AND kb_id = $2 AND document_id = ANY($3::uuid[])`, [tenantId, kbId, documentIds]);
    await db.exec(
      `INSERT INTO jobs (tenant_id, kb_id, document_id, kind, max_attempts, request_id)
       SELECT $1, $2, d, 'ingest', $4, $5 FROM unnest($3::uuid[]) AS d`,
      [tenantId, kbId, documentIds, maxAttempts, requestId],
    );
  }

  /**
   * Locks the jobs of one document (or of the whole KB: documentId null)
   * until commit. Ingestion locks a job before its document (claim, commit,
   * fail, reclaim); a deletion calls this before it locks the document rows,
   * so both take the locks in that order and cannot deadlock.
   */
  async lockForDeletion(db: Db, tenantId: string, kbId: string, documentId: string | null): Promise<void> {
    if (documentId === null) await db.many(`SELECT id FROM jobs WHERE tenant_id = $1 AND kb_id = $2 ORDER BY id FOR UPDATE`, [tenantId, kbId]);
    else await db.many(`SELECT id FROM jobs WHERE tenant_id = $1 AND kb_id = $2 AND document_id = $3 ORDER BY id FOR UPDATE`, [tenantId, kbId, documentId]);
  }

  async removeForDocument(db: Db, tenantId: string, kbId: string, documentId: string): Promise<void> {
    await db.exec(`DELETE FROM jobs WHERE tenant_id = $1 AND kb_id = $2 AND document_id = $3`, [tenantId, kbId, documentId]);
  }
}
