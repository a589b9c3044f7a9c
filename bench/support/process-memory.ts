/**
 * A serving process's memory: resident now, its peak so far, and the JavaScript heap in use (bytes),
 * which counts the garbage not yet collected too; with `heapLive`, what a full collection left.
 */
export interface ProcessMemory {
  rss: number;
  peakRss: number;
  heapUsed: number;
  heapLive?: number;
}

/**
 * This process's memory, for the benches' stats routes. With `collect` (the end of a bench, never
 * between measured rounds) and node's `--expose-gc`, also the heap a full collection leaves.
 */
export function processMemory(collect = false): ProcessMemory {
  const { rss, heapUsed } = process.memoryUsage();
  // resourceUsage().maxRSS is in kilobytes.
  const memory: ProcessMemory = { rss, peakRss: process.resourceUsage().maxRSS * 1024, heapUsed };
  const gc = (globalThis as { gc?: () => void }).gc;
  if (collect && typeof gc === 'function') {
    gc();
    memory.heapLive = process.memoryUsage().heapUsed;
  }
  return memory;
}

/** The node option a server needs for `processMemory(true)` to measure its live heap (bench processes only). */
export const EXPOSE_GC = '--expose-gc';

/** A serving process's stats route; with `collect`, its memory includes the live heap (`processMemory(true)`). */
export function statsPath(collect = false): string {
  return collect ? '/_bench/stats?collect=1' : '/_bench/stats';
}
