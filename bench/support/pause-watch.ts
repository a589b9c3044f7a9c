import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';

/**
 * For diagnosis, not measurement: notes when a bench server stopped, with the time, so a tail in
 * the bench's latencies can be matched to its cause (docs/performance.md, "How to profile"). Loaded
 * into every server a bench starts with
 *
 *   BENCH_CHILD_NODE_ARGS="--require ./dist/bench/support/pause-watch.js"
 *
 * each server writes `<pid>-<its script>[-<its first argument>].log` in BENCH_PAUSE_WATCH_DIR
 * (/tmp/pause-watch): its command line, then one line per garbage collection of 2 ms or more
 * (`<epoch ms> gc kind=<V8's kind: 1 young, 4 full> <ms>ms`) and one per time a 2 ms timer came 5
 * ms or more late (`<epoch ms> lag <ms>ms`: the process was busy, collecting or waiting for a
 * core). Lines are written once a second and when the process exits. The timer itself costs the
 * process a little CPU.
 */
const GC_FROM_MS = 2;
const TICK_MS = 2;
const LAG_FROM_MS = 5;

function watch(dir: string): void {
  mkdirSync(dir, { recursive: true });
  // The minimal reference runs as the bench's own script with the argument `reference`.
  const name = [basename(process.argv[1] ?? 'node'), ...process.argv.slice(2, 3)].join('-');
  const file = join(dir, `${process.pid}-${name}.log`);
  writeFileSync(file, `${process.argv.join(' ')}\n`);
  const lines: string[] = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.duration < GC_FROM_MS) continue;
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
      lines.push(`${Math.round(performance.timeOrigin + entry.startTime)} gc kind=${kind} ${entry.duration.toFixed(1)}ms`);
    }
  }).observe({ entryTypes: ['gc'] });
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    const late = now - last - TICK_MS;
    if (late >= LAG_FROM_MS) lines.push(`${Date.now()} lag ${late.toFixed(1)}ms`);
    last = now;
  }, TICK_MS).unref();
  const write = () => {
    if (lines.length > 0) appendFileSync(file, `${lines.splice(0).join('\n')}\n`);
  };
  setInterval(write, 1000).unref();
  process.on('exit', write);
}

watch(process.env.BENCH_PAUSE_WATCH_DIR ?? '/tmp/pause-watch');
