import { AsyncLocalStorage } from 'node:async_hooks';
import type { SharedStatementObserver } from './shared-statement';
import { SharedStatement } from './shared-statement';

/** A statement the test ends by hand: its operations, and how to let it commit or fail. */
interface Sent {
  kind: 'alone' | 'together';
  items: number[];
  end(): void;
  fail(error: Error): void;
}

function harness(
  options: {
    stallMs?: number;
    fewest?: number;
    joins?: (item: number, batch: readonly number[]) => boolean;
    failed?: (error: unknown, operations: number) => void;
    observer?: SharedStatementObserver;
  } = {},
) {
  const sent: Sent[] = [];
  const statement = (kind: Sent['kind'], items: number[]) =>
    new Promise<number[]>((resolve, reject) => {
      sent.push({ kind, items, end: () => resolve(items.map((i) => i * 10)), fail: reject });
    });
  const shared = new SharedStatement<number, number>({
    most: 3,
    stallMs: options.stallMs ?? 60_000,
    ...(options.fewest ? { fewest: options.fewest } : {}),
    ...(options.failed ? { failed: options.failed } : {}),
    alone: async (item) => (await statement('alone', [item]))[0],
    together: (items) => statement('together', items),
    ...(options.joins ? { joins: options.joins } : {}),
    ...(options.observer ? { observer: options.observer } : {}),
  });
  return { shared, sent };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('SharedStatement', () => {
  it('sends a lone operation at once by its own statement', async () => {
    const { shared, sent } = harness();
    const answer = shared.run(1);
    expect(sent.map((s) => [s.kind, s.items])).toEqual([['alone', [1]]]);
    sent[0].end();
    expect(await answer).toBe(10);
  });

  it('writes the operations that arrive while a statement is in flight together, at most `most` to a statement, oldest first', async () => {
    const { shared, sent } = harness();
    const answers = [1, 2, 3, 4, 5].map((i) => shared.run(i));
    expect(sent).toHaveLength(1);
    expect(shared.queued).toBe(4);
    sent[0].end();
    await tick();
    expect(sent.map((s) => [s.kind, s.items])).toEqual([
      ['alone', [1]],
      ['together', [2, 3, 4]],
    ]);
    expect(shared.queued).toBe(1);
    sent[1].end();
    await tick();
    // One left: it goes by its own statement.
    expect(sent[2]).toMatchObject({ kind: 'alone', items: [5] });
    sent[2].end();
    expect(await Promise.all(answers)).toEqual([10, 20, 30, 40, 50]);
    expect(shared.queued).toBe(0);
  });

  it('writes each operation of a failed shared statement again by its own; one failing there fails alone', async () => {
    const told: Array<[string, number]> = [];
    const { shared, sent } = harness({
      failed: (error, operations) => {
        told.push([(error as Error).message, operations]);
        throw new Error('an observer that fails changes nothing');
      },
    });
    const answers = [1, 2, 3].map((i) => shared.run(i).catch((e: Error) => e.message));
    sent[0].end();
    await tick();
    sent[1].fail(new Error('deadlock'));
    await tick();
    expect(sent.slice(2).map((s) => [s.kind, s.items])).toEqual([
      ['alone', [2]],
      ['alone', [3]],
    ]);
    sent[2].fail(new Error('refused'));
    sent[3].end();
    expect(await Promise.all(answers)).toEqual([10, 'refused', 30]);
    expect(told).toEqual([['deadlock', 2]]);
  });

  it('sends fewer waiting operations than `fewest` by their own statements, side by side', async () => {
    const { shared, sent } = harness({ fewest: 3 });
    const answers = [1, 2, 3].map((i) => shared.run(i));
    sent[0].end();
    await tick();
    expect(sent.slice(1).map((s) => [s.kind, s.items])).toEqual([
      ['alone', [2]],
      ['alone', [3]],
    ]);
    // Both in flight: the next statement waits for them.
    const later = [4, 5, 6].map((i) => shared.run(i));
    expect(sent).toHaveLength(3);
    sent[1].end();
    sent[2].end();
    await tick();
    expect(sent[3]).toMatchObject({ kind: 'together', items: [4, 5, 6] });
    sent[3].end();
    expect(await Promise.all([...answers, ...later])).toEqual([10, 20, 30, 40, 50, 60]);
  });

  it('leaves an operation that may not join a statement for the next one, in its place', async () => {
    // Odd and even numbers stand for two users: one operation of each per statement.
    const { shared, sent } = harness({ joins: (item, batch) => batch.every((b) => b % 2 !== item % 2) });
    const answers = [1, 3, 5, 2, 7, 4].map((i) => shared.run(i));
    sent[0].end();
    await tick();
    expect(sent[1]).toMatchObject({ kind: 'together', items: [3, 2] });
    sent[1].end();
    await tick();
    expect(sent[2]).toMatchObject({ kind: 'together', items: [5, 4] });
    sent[2].end();
    await tick();
    expect(sent[3]).toMatchObject({ kind: 'alone', items: [7] });
    sent[3].end();
    expect(await Promise.all(answers)).toEqual([10, 30, 50, 20, 70, 40]);
  });

  it('stops holding the next statement back once the one in flight stalls past `stallMs`', async () => {
    const { shared, sent } = harness({ stallMs: 30 });
    const first = shared.run(1);
    const behind = [2, 3].map((i) => shared.run(i));
    expect(sent).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 60));
    // The first still waits (a lock, say); the others went on by a statement of their own.
    expect(sent.map((s) => [s.kind, s.items])).toEqual([
      ['alone', [1]],
      ['together', [2, 3]],
    ]);
    sent[1].end();
    expect(await Promise.all(behind)).toEqual([20, 30]);
    // The stalled one ending later starts nothing twice.
    const late = shared.run(4);
    expect(sent).toHaveLength(3);
    sent[2].end();
    sent[0].end();
    expect([await first, await late]).toEqual([10, 40]);
    await tick();
    expect(sent).toHaveLength(3);
  });

  it('sends the next statement in the async context of the first operation it writes', async () => {
    const store = new AsyncLocalStorage<string>();
    const seen: Array<string | undefined> = [];
    const shared = new SharedStatement<string, string>({
      most: 5,
      stallMs: 60_000,
      alone: (item) => {
        seen.push(store.getStore());
        return new Promise((r) => setTimeout(() => r(item), 5));
      },
      together: (items) => {
        seen.push(store.getStore());
        return Promise.resolve(items);
      },
    });
    await Promise.all(['a', 'b', 'c'].map((id) => store.run(id, () => shared.run(id))));
    expect(seen).toEqual(['a', 'b']);
  });

  it('tells its observer how long each operation waited for its statement and how long each statement took', async () => {
    const waited: number[] = [];
    const wrote: Array<[number, number]> = [];
    const { shared, sent } = harness({
      observer: { waited: (seconds) => waited.push(seconds), wrote: (operations, seconds) => wrote.push([operations, seconds]) },
    });
    const answers = [1, 2, 3].map((i) => shared.run(i));
    // The lone first operation is sent at once; the two behind it wait for it to end.
    expect(waited).toHaveLength(1);
    expect(waited[0]).toBeLessThan(0.01);
    await new Promise((r) => setTimeout(r, 40));
    sent[0].end();
    await tick();
    expect(waited).toHaveLength(3);
    expect(waited[1]).toBeGreaterThanOrEqual(0.035);
    expect(waited[2]).toBeGreaterThanOrEqual(0.035);
    expect(wrote).toHaveLength(1);
    expect(wrote[0][0]).toBe(1);
    expect(wrote[0][1]).toBeGreaterThanOrEqual(0.035);
    await new Promise((r) => setTimeout(r, 20));
    sent[1].end();
    expect(await Promise.all(answers)).toEqual([10, 20, 30]);
    expect(wrote).toHaveLength(2);
    expect(wrote[1][0]).toBe(2);
    expect(wrote[1][1]).toBeGreaterThanOrEqual(0.015);
    expect(wrote[1][1]).toBeLessThan(wrote[0][1] + 1);
  });

  it('writes every operation even when its observer throws', async () => {
    const { shared, sent } = harness({
      observer: {
        waited: () => {
          throw new Error('metrics down');
        },
        wrote: () => {
          throw new Error('metrics down');
        },
      },
    });
    const answers = [1, 2, 3].map((i) => shared.run(i));
    sent[0].end();
    await tick();
    expect(sent.map((s) => [s.kind, s.items])).toEqual([
      ['alone', [1]],
      ['together', [2, 3]],
    ]);
    sent[1].end();
    expect(await Promise.all(answers)).toEqual([10, 20, 30]);
    expect(shared.queued).toBe(0);
  });
});
