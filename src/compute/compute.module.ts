import { Module } from '@nestjs/common';
import { ComputePool } from './compute-pool';

/** Worker threads for the CPU-heavy work of documents (ComputePool). */
@Module({ providers: [ComputePool], exports: [ComputePool] })
export class ComputeModule {}
