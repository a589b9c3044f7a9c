/**
 * Failpoints: named places on the money path (and where DOKU's notifications are stored) where a crash test makes this process die on the spot
 * (SIGKILL to itself: no shutdown hook, no rollback handler, no flushed buffer), to prove that a
 * crash at exactly that point loses nothing and applies nothing twice (docs/reliability.md, R3).
 *
 * Armed by FAILPOINTS=<name>[,<name>] (validated by loadConfig, refused in production). Disarmed,
 * a failpoint costs one empty-set lookup.
 */
export const FAILPOINT_NAMES = [
  /** Commit 1 is durable (key IN_PROGRESS + PENDING intent); DOKU has not been called. */
  'money.after-intent-commit',
  /** DOKU has answered; commit 2 has not started. */
  'money.after-doku-outcome',
  /**
   * Commit 2 has written the result but not committed it; where commit 2 is one statement (an
   * accepted purchase), it has committed and the caller has not been answered.
   */
  'money.inside-result-commit',
  /** A DOKU notification is stored; it has been neither acknowledged nor processed. */
  'notification.after-store',
] as const;

export type FailpointName = (typeof FAILPOINT_NAMES)[number];

export class Failpoints {
  private readonly armed: ReadonlySet<string>;

  constructor(names: readonly string[]) {
    this.armed = new Set(names);
  }

  /** Dies here when `name` is armed. */
  hit(name: FailpointName): void {
    if (this.armed.size === 0 || !this.armed.has(name)) return;
    process.stderr.write(`FAILPOINT ${name}: killing process ${process.pid}\n`);
    process.kill(process.pid, 'SIGKILL');
  }
}
