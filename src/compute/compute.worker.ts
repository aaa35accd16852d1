import { runComputeTask } from './compute.tasks';

/** Piscina's entry point in each worker thread (ComputePool loads the compiled file). */
export default runComputeTask;
