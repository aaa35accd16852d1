import { Injectable, Logger } from '@nestjs/common';
import { AppException } from '../../common/app-exception';
import { FairSemaphore } from '../../common/fair-semaphore';
import { admitWithin, ComputeAborted, ComputePool, workerFileNextTo } from '../../compute/compute-pool';
import { AppConfig } from '../../config/app-config';
import { TenantContext } from '../../context/tenant-context';
import type { ParsedDocument, ParseLimits } from './parse-document';
import type { ParseTask } from './parse.worker';

/** Parses uploads in a compute thread (parse.worker.ts), never on the thread that answers requests. */
@Injectable()
export class DocumentParser {
  private readonly logger = new Logger(DocumentParser.name);
  private worker: string | null = null;
  private parses: FairSemaphore | null = null;

  constructor(
    private readonly pool: ComputePool,
    private readonly config: AppConfig,
    private readonly context: TenantContext,
  ) {}

  /**
   * Parses an upload within PARSE_TIMEOUT_S (waiting for a thread, in the
   * request's tenant's turn, included: see parseSlots); a parser error is
   * the same 4xx as in-process.
   */
  async parse(data: Buffer, fileName: string, mimeType: string | undefined, limits: ParseLimits): Promise<ParsedDocument> {
    const seconds = Math.round(this.config.settings.parseTimeoutMs / 1000);
    const signal = AbortSignal.timeout(this.config.settings.parseTimeoutMs);
    this.worker ??= workerFileNextTo(__filename, 'parse.worker');
    const tenant = this.context.tenantId ?? '';
    let release: (() => void) | undefined;
    try {
      release = await admitWithin(this.parseSlots, tenant, signal);
      const task: ParseTask = { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), fileName, mimeType, limits };
      return await this.pool.run<ParseTask, ParsedDocument>(this.worker, task, signal, tenant);
    } catch (err) {
      if (err instanceof ComputeAborted && err.reason === 'budget') {
        throw AppException.validation(`The file could not be parsed within ${seconds} s (PARSE_TIMEOUT_S); it was not stored.`);
      }
      if (err instanceof ComputeAborted && err.reason === 'memory') {
        throw new AppException('PAYLOAD_TOO_LARGE', 'The file needs more memory to parse than this server allows per document; it was not stored.');
      }
      if (err instanceof ComputeAborted) throw new AppException('UNAVAILABLE', 'The server is shutting down; send the file again.');
      if (err instanceof AppException) throw err;
      // A parser library failing in a way our parsers did not map is still a file it cannot read, not a server fault.
      this.logger.warn({ err, file_name: fileName }, 'parser failed unexpectedly');
      throw AppException.validation(`${(fileName.split(/[\\/]/).pop() || 'The file').slice(0, 200)} could not be parsed; it was not stored.`);
    } finally {
      release?.();
    }
  }

  /** Uploads parsing now (in a thread or waiting for one) and waiting for their tenant's turn. */
  get parsing(): { admitted: number; waiting: number } {
    return { admitted: this.parses?.inFlight ?? 0, waiting: this.parses?.waiting ?? 0 };
  }

  /**
   * Uploads being parsed at once: as many as there are compute threads, but
   * one tenant's at most all threads but one (at least 1). A parse can hold
   * its thread for up to PARSE_TIMEOUT_S, so without this two large uploads
   * of one tenant could keep every thread while another tenant's upload
   * spent its own PARSE_TIMEOUT_S waiting. As many uploads may wait as
   * compute tasks may (each holds its file in memory): one more is a 503.
   */
  private get parseSlots(): FairSemaphore {
    const threads = this.config.settings.computeThreads;
    return (this.parses ??= new FairSemaphore(threads, Math.max(1, threads - 1), this.pool.maxWaiting));
  }
}
