import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { TenantContext } from '../../context/tenant-context';
import { AppException } from '../../common/app-exception';
import { ComputeAborted } from '../../compute/compute-pool';
import { AppConfig } from '../../config/app-config';
import { DatabaseService, Db } from '../../database/database.service';
import { chunkStream } from '../chunking/chunker';
import { RagCompute } from '../compute/rag-compute';
import { EngineMetrics, ModelBudget } from '../ports';
import type { CallContext, OffloadedCompute } from '../providers/provider.types';
import { RagInstanceFactory } from '../rag-instance.factory';
import { ChunkStagingRepository } from '../storage/chunk-staging.repository';
import { GraphStoreRepository } from '../storage/graph-store.repository';
import { ExtractionMerger } from './extraction-merge';
import { embedFacts } from './fact-embedding';
import { IngestedDocumentsRepository } from './ingested-documents.repository';
import { JobQueueRepository, JobRow } from './job-queue.repository';
import { mapInOrder, StageTiming } from './pipeline';

/** Characters of stored text read per round trip while streaming a document to the chunker. */
const SLICE_CHARS = 512 * 1024;
/** Chunks embedded per provider call. */
const EMBED_BATCH = 32;

export type JobOutcome = 'processed' | 'retry' | 'failed' | 'lost' | 'gone';

/**
 * Runs one ingestion job: read the document in slices → chunk (KB sizes) →
 * embed → extract entities/relations per chunk → merge them per document →
 * one commit that publishes chunks, facts and support rows together. Chunks
 * do not wait in memory for that commit: each embedded batch goes to
 * chunk_staging (invisible to queries) in a short transaction of its own, so
 * what the worker holds is one batch plus the document's merged facts,
 * whatever the file size. A crash before the commit leaves only staging rows,
 * which the retry clears; the commit first checks that this worker still owns
 * the job (a worker presumed dead cannot write twice) and takes only its own
 * attempt's staging rows. A failed attempt is retried after a backoff
 * (JOB_RETRY_BASE_MS × 2^(attempt−1), jitter) up to JOB_MAX_ATTEMPTS; a
 * client error is not retried. Before each batch of model work the tenant's
 * monthly budget is checked (ModelBudget): past it, the job fails with the
 * QUOTA_EXCEEDED message and is not retried.
 */
@Injectable()
export class IngestionService {
  private readonly logger = new Logger(IngestionService.name);

  constructor(
    private readonly db: DatabaseService,
    private readonly documents: IngestedDocumentsRepository,
    private readonly graph: GraphStoreRepository,
    private readonly staging: ChunkStagingRepository,
    private readonly queue: JobQueueRepository,
    private readonly instances: RagInstanceFactory,
    private readonly context: TenantContext,
    private readonly metrics: EngineMetrics,
    private readonly budget: ModelBudget,
    private readonly compute: RagCompute,
    private readonly config: AppConfig,
  ) {}

  async process(job: JobRow, workerId: string): Promise<JobOutcome> {
    const started = process.hrtime.bigint();
    const { tenant_id: tenantId, kb_id: kbId, document_id: documentId } = job;
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    return this.context.runAs({ tenantId, kbId, requestId: job.request_id ?? undefined }, async () => {
      // The job's time budget (JOB_TIME_BUDGET_S): its CPU work runs in worker
      // threads under this signal, which terminates them when it fires.
      const budget = new AbortController();
      const budgetMs = this.config.settings.jobTimeBudgetMs;
      const timer = setTimeout(() => budget.abort(), budgetMs);
      timer.unref();
      try {
        const outcome = await this.ingest(job, workerId, budget.signal);
        this.metrics.documentProcessingTime.observe({ tenant_id: tenantId, outcome: outcome === 'processed' ? 'processed' : outcome }, seconds());
        return outcome;
      } catch (caught) {
        // A document that outlives its budget is poisoned or too big for this
        // server: it fails for good, so no replica ever runs it again.
        const err =
          budget.signal.aborted || (caught instanceof ComputeAborted && caught.reason === 'budget')
            ? AppException.validation(
                `Ingestion stopped: the document needed more than the ${Math.round(budgetMs / 1000)} s this server allows per document (JOB_TIME_BUDGET_S); it will not be retried.`,
              )
            : caught instanceof ComputeAborted && caught.reason === 'memory'
              ? AppException.validation(`Ingestion stopped: ${caught.message} It will not be retried.`)
              : caught;
        const retryable = !(err instanceof AppException && err.status < 500);
        const message = err instanceof AppException ? err.message : `Ingestion failed: ${(err as Error)?.message ?? String(err)}`;
        const state = await this.db.withTenant(tenantId, async (db) => {
          const s = await this.queue.fail(db, tenantId, job.id, workerId, message, retryable, this.config.settings.jobRetryBaseMs);
          if (s) await this.documents.setStatus(db, tenantId, kbId, documentId, s === 'failed' ? 'failed' : 'pending', { error: s === 'failed' ? message : null });
          return s;
        });
        this.metrics.jobFailures.inc({ final: state === 'failed' ? 'true' : 'false' });
        this.metrics.documentProcessingTime.observe({ tenant_id: tenantId, outcome: 'failed' }, seconds());
        this.logger.warn({ err, document_id: documentId, tenant_id: tenantId, kb_id: kbId, attempts: job.attempts }, `ingestion attempt failed (${state ?? 'lost'})`);
        return state === 'failed' ? 'failed' : state === 'pending' ? 'retry' : 'lost';
      } finally {
        clearTimeout(timer);
      }
    });
  }

  private async ingest(job: JobRow, workerId: string, signal: AbortSignal): Promise<JobOutcome> {
    const { tenant_id: tenantId, kb_id: kbId, document_id: documentId } = job;
    let instance;
    try {
      instance = await this.instances.get(tenantId, kbId);
    } catch (err) {
      if (err instanceof AppException && err.code === 'NOT_FOUND') return 'gone'; // the KB was deleted (its jobs went with it)
      throw err;
    }
    const { providers, config } = instance;
    const offload: OffloadedCompute = {
      embed: (texts, dim, model) => this.compute.embed(texts, dim, model, signal, tenantId),
      extract: (text) => this.compute.extract(text, signal, tenantId),
      keywords: (text) => this.compute.keywords(text, signal, tenantId),
    };
    const ctx = (purpose: CallContext['purpose']): CallContext => ({ tenantId, kbId, purpose, offload });

    const inTenant = <T>(work: (db: Db) => Promise<T>) => this.db.withTenant(tenantId, work);
    const length = await inTenant((db) => this.documents.contentLength(db, tenantId, kbId, documentId));
    if (length === null) return 'gone';

    const attempt = randomUUID();
    // Clear what crashed or failed attempts left, only while this worker still owns
    // the job (a slow starter must not wipe the rows of the worker that replaced it).
    const owned = await inTenant(async (db) => {
      if (!(await this.queue.lockIfOwned(db, tenantId, job.id, workerId))) return false;
      await this.staging.clear(db, tenantId, kbId, documentId);
      return true;
    });
    if (!owned) return 'lost';
    let chunkCount = 0;
    const merger = new ExtractionMerger();
    const timing = new StageTiming();
    // Local extraction runs in the compute threads: keep every thread busy with
    // one chunk each. A remote provider is called one chunk at a time, as before.
    const lanes = providers.extraction.binding === 'local' ? Math.max(1, this.config.settings.computeThreads) : 1;
    let pending: Array<{ index: number; content: string; tokens: number }> = [];
    /** The previous batch's staging write, overlapped with this batch's extraction (at most one in flight). */
    let staging: Promise<void> = Promise.resolve();
    const flush = async () => {
      if (!pending.length) return;
      signal.throwIfAborted();
      await this.budget.assertAvailable(tenantId, 'ingestion');
      const batch = pending;
      pending = [];
      const extract = () => timing.time('extract', () => mapInOrder(batch, lanes, (chunk) => providers.extraction.extract(chunk.content, ctx('extraction'))));
      const embed = () =>
        timing.time('embed', () =>
          providers.embedding.embed(
            batch.map((c) => c.content),
            ctx('embedding'),
          ),
        );
      // Local providers run in the compute threads: the batch is extracted and embedded side by side. A remote
      // provider is called as before — the batch embedded first, then extracted — so a failing provider gets one
      // call at a time and a failed embedding spends no extraction call.
      const bothLocal = providers.extraction.binding === 'local' && providers.embedding.binding === 'local';
      const [extracted, vectors] = bothLocal ? await Promise.all([extract(), embed()]) : await embed().then(async (v) => [await extract(), v] as const);
      // Merged in chunk order, whatever order the threads finished in: the stored graph does not depend on scheduling.
      timing.sync('merge', () => batch.forEach((chunk, i) => merger.add(chunk.index, extracted[i])));
      await timing.time('stageWait', () => staging);
      const rows = batch.map((c, i) => ({ ...c, embedding: vectors[i] }));
      staging = timing.time('stageWrite', () => inTenant((db) => this.staging.stage(db, tenantId, kbId, documentId, attempt, rows)));
      staging.catch(() => undefined); // awaited by the next flush or after the last one
      chunkCount += batch.length;
    };
    let outcome: JobOutcome;
    const chunks = chunkStream(this.readSlices(tenantId, kbId, documentId, length), {
      chunkTokenSize: config.chunkTokenSize,
      overlapTokenSize: config.chunkOverlapTokenSize,
      encode: (text) => this.compute.encode(text, signal, tenantId),
    })[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await timing.time('chunk', () => chunks.next());
        if (next.done) break;
        pending.push(next.value);
        if (pending.length >= EMBED_BATCH) await flush();
      }
      await flush();
      await timing.time('stageWait', () => staging);
      await this.budget.assertAvailable(tenantId, 'ingestion');
      const { entities: entityFacts, relations: relationFacts } = await timing.time('embedFacts', () => embedFacts(providers, merger, ctx('embedding'), lanes));
      signal.throwIfAborted();

      outcome = await timing.time('commit', () =>
        inTenant(async (db): Promise<JobOutcome> => {
          if (!(await this.queue.lockIfOwned(db, tenantId, job.id, workerId))) return 'lost';
          if (!(await this.documents.lock(db, tenantId, kbId, documentId))) {
            await this.queue.complete(db, tenantId, job.id);
            return 'gone';
          }
          // A previous attempt that did commit (then lost its job) must not leave duplicates.
          await this.graph.removeDocumentContribution(db, tenantId, kbId, documentId);
          const chunkIds = await timing.time('commitChunks', () => this.staging.publish(db, tenantId, kbId, documentId, attempt));
          if (chunkIds.size !== chunkCount) throw new Error(`staged ${chunkCount} chunks but found ${chunkIds.size} to publish`);
          const entityIds = await timing.time('commitEntities', () => this.graph.mergeEntities(db, tenantId, kbId, documentId, entityFacts, chunkIds));
          await timing.time('commitRelations', () => this.graph.mergeRelations(db, tenantId, kbId, documentId, relationFacts, entityIds, chunkIds));
          await this.documents.setStatus(db, tenantId, kbId, documentId, 'processed', { chunksCount: chunkCount });
          await this.queue.complete(db, tenantId, job.id);
          return 'processed';
        }),
      );
    } catch (err) {
      await staging.catch(() => undefined); // no staging write may land after the clear below
      // A retry starts over anyway; a final failure must not leave its rows behind.
      await inTenant((db) => this.staging.clear(db, tenantId, kbId, documentId, attempt)).catch(() => undefined);
      throw err;
    } finally {
      await chunks.return?.(undefined).catch(() => undefined);
    }
    // A worker that lost its job leaves the new owner's attempt alone and takes its own rows away.
    if (outcome === 'lost') await inTenant((db) => this.staging.clear(db, tenantId, kbId, documentId, attempt));
    if (outcome === 'processed') {
      this.instances.peek(tenantId, kbId)?.forgetKbSize();
      this.logger.log({ document_id: documentId, tenant_id: tenantId, kb_id: kbId, chunks: chunkCount, stages_ms: timing.report() }, 'document ingested');
    }
    return outcome;
  }

  private async *readSlices(tenantId: string, kbId: string, documentId: string, length: number): AsyncGenerator<string> {
    for (let from = 0; from < length; from += SLICE_CHARS) {
      yield await this.db.withTenant(tenantId, (db) => this.documents.contentSlice(db, tenantId, kbId, documentId, from, SLICE_CHARS));
    }
  }
}
