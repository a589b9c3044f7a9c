/** A serving process's memory: resident now, its peak so far, and the JavaScript heap in use (bytes). */
export interface ProcessMemory {
  rss: number;
  peakRss: number;
  heapUsed: number;
}

/** This process's memory, for the benches' stats routes. */
export function processMemory(): ProcessMemory {
  const { rss, heapUsed } = process.memoryUsage();
  // resourceUsage().maxRSS is in kilobytes.
  return { rss, peakRss: process.resourceUsage().maxRSS * 1024, heapUsed };
}
