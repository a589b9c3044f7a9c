import { closedAfterEach } from './support/env';
import { announce, batteryRng, belowMinimum, printFigures, RELIABILITY_SEED, sized, Tally } from './support/harness';
import { makePlan, REPLAY, runPlan, TEST } from './support/r2-plan';

/**
 * R2's determinism (docs/reliability.md): a smaller plan of the R2 battery (support/r2-plan.ts) run
 * twice, on two fresh environments, with the same seed. Both runs must be sound on their own and
 * end in the same final state by plan position: every operation's status, every wallet's balance at
 * DOKU, the corporate balance, and the faults that hit money calls. This is what makes a failing
 * seed replayable.
 */
jest.setTimeout(sized(170_000, 3_600_000));

describe('R2: one seed, one final state', () => {
  announce(TEST);
  const opened = closedAfterEach();

  it('the same seed gives the same final state (a smaller plan run twice on fresh environments)', async () => {
    const plan = makePlan('replay', batteryRng(TEST).fork('replay'), REPLAY);
    const seed = `${RELIABILITY_SEED}:${TEST}:replay`;
    const [a, b] = await Promise.all([runPlan(plan, seed), runPlan(plan, seed)]);
    opened.push(a.env, b.env);
    const statuses = new Tally();
    for (const s of Object.values(a.final.operations)) statuses.add(s);
    const differences = Object.keys(a.final.operations).filter((k) => a.final.operations[k] !== b.final.operations[k]);
    printFigures(TEST, {
      scenario: 'determinism',
      operations: Object.keys(a.final.operations).length,
      finalStatuses: statuses.counts,
      moneyFaults: a.final.moneyFaults.length,
      differences: differences.length,
      sameBalances: JSON.stringify(a.final.balances) === JSON.stringify(b.final.balances),
      sameFaults: JSON.stringify(a.final.moneyFaults) === JSON.stringify(b.final.moneyFaults),
      runs: [a.figures, b.figures].map((f) => ({
        ms: f.ms,
        convergenceMs: f.convergenceMs,
        problems: f.problems,
        serverErrors: f.serverErrors,
        loadRetries: f.loadRetries,
        loadRetried: f.loadRetried,
        fiveHundreds: f.fiveHundreds,
        lost: f.lost,
        unresolved: f.unresolved,
      })),
    });

    // Both runs are sound on their own, and the comparison is not trivial: faults fired, and operations ended both ways.
    for (const run of [a, b]) {
      expect(run.problems.slice(0, 10)).toEqual([]);
      expect({
        lost: run.recon.lost,
        doubleApplied: run.recon.doubleApplied,
        unresolved: run.recon.unresolved,
        serverErrors: run.serverErrors,
      }).toEqual({
        lost: 0,
        doubleApplied: 0,
        unresolved: 0,
        serverErrors: 0,
      });
    }
    const variety = { moneyFaults: a.final.moneyFaults.length, SUCCESS: statuses.get('SUCCESS'), FAILED: statuses.get('FAILED') };
    expect(belowMinimum(variety, { moneyFaults: 3, SUCCESS: 1, FAILED: 1 })).toEqual([]);
    expect(differences.map((k) => `${k}: ${a.final.operations[k]} / ${b.final.operations[k]}`)).toEqual([]);
    expect(b.final).toEqual(a.final);
  });
});
