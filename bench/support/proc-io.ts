import { readFileSync } from 'node:fs';

/**
 * Read and write system calls this process has made so far (/proc/self/io's syscr and syscw): every
 * socket read and write counts, so the difference per purchase shows how many round trips a side
 * pays for. Undefined where /proc is not there.
 */
export function ioSyscalls(): { reads: number; writes: number } | undefined {
  try {
    const io = readFileSync('/proc/self/io', 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(io)?.[1]);
    const reads = field('syscr');
    const writes = field('syscw');
    return Number.isFinite(reads) && Number.isFinite(writes) ? { reads, writes } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * How long this process's main thread (the one that runs JavaScript) has waited so far, runnable,
 * for a core (µs; the second field of /proc/self/schedstat). Under load on few cores, the time a
 * request waits for its event loop includes this. Undefined where /proc is not there.
 */
export function mainThreadRunQueueMicros(): number | undefined {
  try {
    const waited = Number(readFileSync('/proc/self/schedstat', 'utf8').split(' ')[1]);
    return Number.isFinite(waited) ? waited / 1000 : undefined;
  } catch {
    return undefined;
  }
}
