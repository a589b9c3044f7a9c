import { announce, batteryRng, printFigures, RELIABILITY_SEED, sized } from './support/harness';
import type { PlanSize } from './support/r2-plan';
import { cancelDay, makePlan, runPlan, TEST } from './support/r2-plan';
import { closedAfterEach } from './support/env';

/**
 * R2 across Jakarta midnight (docs/reliability.md): DOKU cancels a paid purchase only on the Jakarta
 * day it was paid (docs/doku-integration.md#cancel). A battery run that crosses midnight between a
 * payment and its cancel must expect the cancel to be refused (409 PURCHASE.NOT_CANCELABLE) and the
 * purchase to stay paid, not count that as a failure. Here the crossing is made on purpose: a small
 * plan under the same faults, with both clocks moved past midnight once the purchases are paid, and
 * two paid purchases of three canceled afterwards (the third refunded).
 */
jest.setTimeout(sized(170_000, 3_600_000));

/** Enough paid purchases that some of their cancels reach DOKU unfaulted, whatever the seed (about a third of money calls are faulted). */
const SIZE: PlanSize = { users: 3, purchases: sized(24, 120), transfers: sized(4, 20), topUps: sized(4, 20) };

describe('R2: cancels of paid purchases on the next Jakarta day', () => {
  announce(TEST);
  const opened = closedAfterEach();

  it('the day rule, from the payment day and the two readings of DOKU clock around the cancels', () => {
    expect(cancelDay('2026-12-06', '2026-12-06', '2026-12-06')).toBe('same');
    expect(cancelDay('2026-12-06', '2026-12-07', '2026-12-07')).toBe('later');
    expect(cancelDay('2026-12-06', '2026-12-06', '2026-12-07')).toBe('either');
  });

  it('are refused with 409 PURCHASE.NOT_CANCELABLE and leave the purchase paid, with 0 lost and 0 double-applied under faults', async () => {
    const base = makePlan('next-day', batteryRng(TEST).fork('next-day'), SIZE);
    const plan = {
      ...base,
      purchases: base.purchases.map((p) =>
        p.atPin === 'pay' ? ({ ...p, afterPayment: p.index % 3 === 0 ? 'refund' : 'cancel' } as const) : p,
      ),
    };
    const run = await runPlan(plan, `${RELIABILITY_SEED}:${TEST}:next-day`, { nextDayBeforeCancels: true });
    opened.push(run.env);
    const answers = run.figures.answers as Record<string, number>;
    printFigures(TEST, { scenario: 'next-day', ...run.figures });

    expect(run.problems.slice(0, 15)).toEqual([]);
    expect({ lost: run.recon.lost, doubleApplied: run.recon.doubleApplied, unresolved: run.recon.unresolved }).toEqual({
      lost: 0,
      doubleApplied: 0,
      unresolved: 0,
    });
    expect(run.invariants).toEqual([]);
    expect(run.serverErrors).toBe(0);
    // Not trivial: cancels were refused by the day rule, none was applied, and refunds still went through.
    expect(answers.cancelRefusedNextDay ?? 0).toBeGreaterThanOrEqual(1);
    const ops = Object.entries(run.final.operations);
    expect(ops.filter(([k, s]) => k.startsWith('r2-cnl-paid-') && s === 'SUCCESS')).toEqual([]);
    expect(ops.filter(([k, s]) => k.startsWith('r2-rfd-') && s === 'SUCCESS').length).toBeGreaterThanOrEqual(1);
  });
});
