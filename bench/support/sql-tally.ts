import type { ProcessMemory } from './process-memory';

/** What bench/support/app-process.ts reports at `GET /_bench/stats` (see its header for how it counts). */
export interface SqlTally {
  /** HTTP requests answered (0 for `background`). */
  requests: number;
  statuses: Record<string, number>;
  /** Every statement sent, transaction control included. */
  statements: number;
  begins: number;
  /** COMMITs of transactions that wrote (INSERT / UPDATE / DELETE / row locks). */
  writeCommits: number;
  /** COMMITs of transactions that only read. */
  readCommits: number;
  rollbacks: number;
  /** Statements inside an explicit transaction (control statements excluded). */
  inTransaction: number;
  /** Standalone statements: each is a transaction of its own, committed by PostgreSQL. */
  standaloneReads: number;
  standaloneWrites: number;
  /**
   * Operations beyond the first written by standalone writes shared between operations: a statement
   * over arrays (`unnest($1...)`) whose first array has k elements writes for k of them (k - 1 here).
   * PostgreSQL ran one statement and one commit; each of the k was written by it.
   */
  sharedExtra: number;
  /** Those shared statements (k > 1). */
  sharedStatements: number;
  /**
   * Operations of shared statements that wrote nothing (replays answered by a shared commit 1),
   * beyond what the statement's own count already says: the "Each" figures count them as reads.
   */
  sharedReads: number;
  /** Statement text (whitespace collapsed, cut at 110 characters) → times sent. */
  byText: Record<string, number>;
}

/** Suffix of a route's tally of the statements its requests' work sent after the response. */
export const AFTER_RESPONSE = ' (after the response)';

export interface AppStats {
  routes: Record<string, SqlTally>;
  background: SqlTally;
  cpuMicros: { user: number; system: number };
  /** Time spent in garbage collection (bench/support/gc-time.ts). */
  gcMicros: number;
  /** Read and write system calls so far (bench-env.ts ioSyscalls). */
  syscalls?: { reads: number; writes: number };
  /** How long the main thread has waited for a core so far, µs (proc-io.ts mainThreadRunQueueMicros). */
  runQueueMicros?: number;
  /** This process's memory now (bench/support/process-memory.ts). */
  memory?: ProcessMemory;
  counting: boolean;
}

export function emptyTally(): SqlTally {
  return {
    requests: 0,
    statuses: {},
    statements: 0,
    begins: 0,
    writeCommits: 0,
    readCommits: 0,
    rollbacks: 0,
    inTransaction: 0,
    standaloneReads: 0,
    standaloneWrites: 0,
    sharedExtra: 0,
    sharedStatements: 0,
    sharedReads: 0,
    byText: {},
  };
}

/** Both tallies together (a request's statements before and after its response, say). */
export function tallySum(a: SqlTally, b: SqlTally): SqlTally {
  const plus = (x: Record<string, number>, y: Record<string, number>): Record<string, number> => {
    const out: Record<string, number> = { ...x };
    for (const [k, v] of Object.entries(y)) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  return {
    requests: a.requests,
    statuses: a.statuses,
    statements: a.statements + b.statements,
    begins: a.begins + b.begins,
    writeCommits: a.writeCommits + b.writeCommits,
    readCommits: a.readCommits + b.readCommits,
    rollbacks: a.rollbacks + b.rollbacks,
    inTransaction: a.inTransaction + b.inTransaction,
    standaloneReads: a.standaloneReads + b.standaloneReads,
    standaloneWrites: a.standaloneWrites + b.standaloneWrites,
    sharedExtra: a.sharedExtra + b.sharedExtra,
    sharedStatements: a.sharedStatements + b.sharedStatements,
    sharedReads: a.sharedReads + b.sharedReads,
    byText: plus(a.byText, b.byText),
  };
}

/** `after` minus `before` (a route or key missing from `before` counts from zero). */
export function tallyDelta(after: SqlTally | undefined, before: SqlTally | undefined): SqlTally {
  const a = after ?? emptyTally();
  const b = before ?? emptyTally();
  const minus = (x: Record<string, number>, y: Record<string, number>): Record<string, number> => {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(x)) if (v - (y[k] ?? 0) !== 0) out[k] = v - (y[k] ?? 0);
    return out;
  };
  return {
    requests: a.requests - b.requests,
    statuses: minus(a.statuses, b.statuses),
    statements: a.statements - b.statements,
    begins: a.begins - b.begins,
    writeCommits: a.writeCommits - b.writeCommits,
    readCommits: a.readCommits - b.readCommits,
    rollbacks: a.rollbacks - b.rollbacks,
    inTransaction: a.inTransaction - b.inTransaction,
    standaloneReads: a.standaloneReads - b.standaloneReads,
    standaloneWrites: a.standaloneWrites - b.standaloneWrites,
    sharedExtra: a.sharedExtra - b.sharedExtra,
    sharedStatements: a.sharedStatements - b.sharedStatements,
    sharedReads: a.sharedReads - b.sharedReads,
    byText: minus(a.byText, b.byText),
  };
}

const round = (x: number): number => Math.round(x * 100) / 100;

/** Per-request figures of a tally: statements with and without BEGIN/COMMIT, commits that write, read-only transactions. */
export function tallyLine(t: SqlTally, per: number): Record<string, number> {
  const control = t.begins + t.writeCommits + t.readCommits + t.rollbacks;
  return {
    statements: round(t.statements / per),
    dataStatements: round((t.statements - control) / per),
    beginCommit: round(control / per),
    writeCommits: round((t.writeCommits + t.standaloneWrites) / per),
    readOnlyTransactions: round((t.readCommits + t.standaloneReads) / per),
    standaloneReads: round(t.standaloneReads / per),
    standaloneWrites: round(t.standaloneWrites / per),
    rollbacks: round(t.rollbacks / per),
    /** As each operation sees them: a shared statement counts once for every operation it writes. */
    statementsEach: round((t.statements - control + t.sharedExtra) / per),
    writeCommitsEach: round((t.writeCommits + t.standaloneWrites + t.sharedExtra - t.sharedReads) / per),
    readOnlyEach: round((t.readCommits + t.standaloneReads + t.sharedReads) / per),
  };
}

/** The statements of a tally by text, most frequent first, as "times per request  text" lines. */
export function breakdown(t: SqlTally, per: number, limit = 20): string[] {
  return Object.entries(t.byText)
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([text, n]) => `    ${(n / per).toFixed(3).padStart(7)}  ${text}`);
}
