import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import type { Db } from '../../database/database.service';
import { RagInstanceFactory } from '../rag-instance.factory';
import { GraphStoreRepository } from '../storage/graph-store.repository';
import { IngestionWorker } from './ingestion.worker';
import { JobQueueRepository } from './job-queue.repository';

/**
 * What the documents feature asks of the engine, in one place: queue a stored
 * document for ingestion, and take a deleted document's indexed content
 * (chunks, support of graph facts, queued job) away. The `db` methods run in
 * the caller's transaction, so the document row and its engine state change
 * together; the others run after that transaction committed.
 */
@Injectable()
export class DocumentIngestion {
  constructor(
    private readonly queue: JobQueueRepository,
    private readonly graph: GraphStoreRepository,
    private readonly worker: IngestionWorker,
    private readonly instances: RagInstanceFactory,
    private readonly config: AppConfig,
  ) {}

  /** In the transaction that inserted the document: its ingestion job. */
  enqueue(db: Db, tenantId: string, kbId: string, documentId: string, requestId: string | null): Promise<void> {
    return this.queue.enqueue(db, tenantId, kbId, documentId, requestId, this.config.settings.jobMaxAttempts);
  }

  /** After that transaction committed: wakes this process's worker loops (other replicas poll). */
  enqueued(): void {
    this.worker.notify();
  }

  /**
   * In the transaction deleting a document (or, documentId null, every
   * document of the KB), before the document rows are locked: their jobs, in
   * the order ingestion takes them (job, then document). The other order
   * deadlocked with an ingestion commit under load (PostgreSQL 40P01 → 500 on
   * DELETE …/documents/:id; bench/load-canaries.js).
   */
  lockJobs(db: Db, tenantId: string, kbId: string, documentId: string | null): Promise<void> {
    return this.queue.lockForDeletion(db, tenantId, kbId, documentId);
  }

  /**
   * In the transaction deleting the document (its jobs and its row locked): its queued
   * job and its chunks go; facts left without support disappear, the others
   * are rebuilt from what remains.
   */
  async removeDocument(db: Db, tenantId: string, kbId: string, documentId: string): Promise<void> {
    await this.queue.removeForDocument(db, tenantId, kbId, documentId);
    await this.graph.removeDocumentContribution(db, tenantId, kbId, documentId);
  }

  /** In the caller's transaction: the KB's jobs waiting to run are dropped; returns their documents' ids. */
  dropPending(db: Db, tenantId: string, kbId: string): Promise<string[]> {
    return this.queue.dropPending(db, tenantId, kbId);
  }

  /** In the caller's transaction: the documents are queued for ingestion again (call enqueued() after the commit). */
  requeue(db: Db, tenantId: string, kbId: string, documentIds: string[], requestId: string | null): Promise<void> {
    return this.queue.requeue(db, tenantId, kbId, documentIds, requestId, this.config.settings.jobMaxAttempts);
  }

  /**
   * In the transaction deleting every document of the KB (their rows
   * locked): the KB's entities and relations go (with their support rows);
   * chunks, jobs and staging rows go with the documents by cascade.
   */
  async clearKnowledgeBase(db: Db, tenantId: string, kbId: string): Promise<void> {
    await this.graph.removeAllFacts(db, tenantId, kbId);
  }

  /** After that transaction committed: the KB's cached sizes are stale. */
  removed(tenantId: string, kbId: string): void {
    this.instances.peek(tenantId, kbId)?.forgetKbSize();
  }
}
