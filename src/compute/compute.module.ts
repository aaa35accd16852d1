import { Module } from '@nestjs/common';
import { ComputePool } from './compute-pool';

/** The worker-thread pool (ComputePool) that documents and the engine run their CPU-heavy tasks in. */
@Module({ providers: [ComputePool], exports: [ComputePool] })
export class ComputeModule {}
