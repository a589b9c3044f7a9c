import { AsyncResource } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';

/**
 * Told how a kind of shared write behaves, for metrics (docs/operations.md#metrics): how long each
 * operation waited for the statement that wrote it, and how long each statement took.
 */
export interface SharedStatementObserver {
  /** An operation's statement was sent `seconds` after the operation asked to be written. */
  waited(seconds: number): void;
  /**
   * A statement answered `operations` operations after `seconds` (below `fewest`, the operations'
   * own statements side by side; after a shared statement failed, until they were written again).
   */
  wrote(operations: number, seconds: number): void;
}

/**
 * How one kind of write is shared between concurrent operations (docs/performance.md, twenty-third
 * and twenty-fourth rounds).
 */
export interface SharedStatementShape<I, R> {
  /** The most operations one shared statement writes. */
  most: number;
  /**
   * The fewest operations worth a shared statement (default 2): fewer waiting go by their own
   * statements, side by side. A shared statement is planned at each execution; for a large one, that
   * costs more than a second one-operation statement saves.
   */
  fewest?: number;
  /**
   * How long a statement in flight holds the next one back. One that takes longer (it waits for a
   * lock, say) stops holding it, so the operations behind it go on by a statement of their own
   * (default 20 ms).
   */
  stallMs?: number;
  /** One operation's own statement: a lone operation, and each one again after a shared statement failed. */
  alone(item: I): Promise<R>;
  /** One statement for several operations, answering each in order; it writes all of them or, failing, none. */
  together(items: I[]): Promise<R[]>;
  /** Whether `item` may be written by the statement that already carries `batch`; one that may not waits for the next. */
  joins?: (item: I, batch: readonly I[]) => boolean;
  /** Told of a shared statement that failed (its `operations` are then written again alone): for metrics and logs. */
  failed?: (error: unknown, operations: number) => void;
  /** Told of each statement's waits and time, for metrics. */
  observer?: SharedStatementObserver;
}

interface Waiting<I, R> {
  item: I;
  resolve(result: R): void;
  reject(error: unknown): void;
  /**
   * The async context of the operation that is waiting (its request's logs and traces), to send a
   * statement in. An AsyncResource and not `AsyncResource.bind`: that also defines a deprecated
   * accessor on every function it returns, and cost about 1.4 KB and 3 µs a call against 76 bytes
   * and well under 1 µs (docs/performance.md, twenty-seventh round).
   */
  context: AsyncResource;
  /** When it asked to be written (`performance.now()`). */
  since: number;
}

/**
 * Group commit in the application, for one kind of write: while one statement of the kind is in
 * flight, the operations that arrive wait and are written together by the next statement; a lone
 * operation goes at once by its own. A statement holds the next one back for `stallMs` at most, so
 * one that waits for a lock delays the others by no more than that. Each operation is answered only
 * after the statement that wrote it has committed. A shared statement that fails wrote nothing (it
 * is one statement); each of its operations is then written again by its own statement, so one
 * operation's failure (a refusal, a deadlock) is never another's.
 */
export class SharedStatement<I, R> {
  private readonly waiting: Waiting<I, R>[] = [];
  /** The statement in flight that holds the next one back, if any. */
  private holder: object | undefined;

  constructor(private readonly shape: SharedStatementShape<I, R>) {}

  /** Writes `item` by the next statement of this kind, alone or shared. */
  run(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject, context: new AsyncResource('SharedStatement'), since: performance.now() });
      this.next();
    });
  }

  /** Operations waiting for a statement (beyond those of the statement in flight). */
  get queued(): number {
    return this.waiting.length;
  }

  private next(): void {
    if (this.holder !== undefined || this.waiting.length === 0) return;
    const batch = this.take();
    const holder = {};
    this.holder = holder;
    const stalled = setTimeout(() => this.release(holder), this.shape.stallMs ?? 20);
    stalled.unref();
    const sent = performance.now();
    this.observe((observer) => {
      for (const one of batch) observer.waited((sent - one.since) / 1000);
    });
    void this.write(batch).finally(() => {
      clearTimeout(stalled);
      this.observe((observer) => observer.wrote(batch.length, (performance.now() - sent) / 1000));
      this.release(holder);
    });
  }

  /** What the observer does never stops the operations. */
  private observe(tell: (observer: SharedStatementObserver) => void): void {
    const observer = this.shape.observer;
    if (!observer) return;
    try {
      tell(observer);
    } catch {
      // Metrics are not worth an operation.
    }
  }

  /** The statement `holder` no longer holds the next one back (it ended, or it stalled). */
  private release(holder: object): void {
    if (this.holder !== holder) return;
    this.holder = undefined;
    // The next statement is sent in the context of an operation it writes, not of one whose statement just ended.
    if (this.waiting.length > 0) this.waiting[0].context.runInAsyncScope(() => this.next());
  }

  /** The next statement's operations, oldest first; those that may not join it keep their place. */
  private take(): Waiting<I, R>[] {
    const joins = this.shape.joins;
    if (!joins) return this.waiting.splice(0, this.shape.most);
    const batch: Waiting<I, R>[] = [];
    const items: I[] = [];
    const left: Waiting<I, R>[] = [];
    for (const one of this.waiting) {
      if (batch.length < this.shape.most && (batch.length === 0 || joins(one.item, items))) {
        batch.push(one);
        items.push(one.item);
      } else {
        left.push(one);
      }
    }
    this.waiting.splice(0, this.waiting.length, ...left);
    return batch;
  }

  private async write(batch: Waiting<I, R>[]): Promise<void> {
    if (batch.length >= Math.max(2, this.shape.fewest ?? 2)) {
      let results: R[] | undefined;
      try {
        results = await this.shape.together(batch.map((one) => one.item));
      } catch (error) {
        // Nothing of it was written (one statement): each operation again, on its own, below.
        try {
          this.shape.failed?.(error, batch.length);
        } catch {
          // What the observer does never stops the operations.
        }
      }
      if (results) {
        batch.forEach((one, i) => one.resolve(results[i]));
        return;
      }
    }
    await Promise.all(
      batch.map(async (one) => {
        try {
          one.resolve(await this.shape.alone(one.item));
        } catch (error) {
          one.reject(error);
        }
      }),
    );
  }
}
