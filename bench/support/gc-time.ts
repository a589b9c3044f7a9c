import { PerformanceObserver } from 'node:perf_hooks';

/**
 * Time this process has spent in garbage collection since the call, in microseconds, as V8 reports
 * each collection (PerformanceObserver 'gc' entries). The servers report it beside their CPU time,
 * so the bench can say how much of a purchase's CPU is collection.
 */
export function gcClock(): () => number {
  let micros = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) micros += entry.duration * 1000;
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => micros;
}
