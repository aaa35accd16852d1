import { AppException, ErrorCode, FieldError } from '../common/app-exception';

/** An AppException thrown in a thread, carried back as data (a class does not survive the thread boundary). */
export interface ComputeFailure {
  computeFailure: { code: ErrorCode; message: string; details?: FieldError[] };
}

export function isComputeFailure(r: unknown): r is ComputeFailure {
  return typeof r === 'object' && r !== null && 'computeFailure' in r;
}

/**
 * A worker file's default export: runs `work` on the task and hands an
 * AppException back as a ComputeFailure, which ComputePool throws again as
 * the same AppException on the caller's side. Work must be a pure function
 * of its input (no Nest, no database): its thread can be terminated mid-task.
 */
export function computeTask<T, R>(work: (task: T) => R | Promise<R>): (task: T) => Promise<R | ComputeFailure> {
  return async (task: T) => {
    try {
      return await work(task);
    } catch (err) {
      if (err instanceof AppException) return { computeFailure: { code: err.code, message: err.message, details: err.details } };
      throw err;
    }
  };
}
