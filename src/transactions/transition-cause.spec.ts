import type { AppConfigService } from '../config/app-config.service';
import type { DataSource, EntityManager } from 'typeorm';
import { TransactionsRepository } from './transactions.repository';
import { assertTransitionCause, describeCause, isTransitionCause, TRANSITION_CAUSES } from './transition-cause';
import type { TransitionCause } from './transition-cause';

describe('transition causes: one closed set', () => {
  it('knows each cause and derives a sentence for it', () => {
    for (const cause of TRANSITION_CAUSES) {
      expect(isTransitionCause(cause)).toBe(true);
      expect(describeCause(cause)).not.toBe(cause);
      expect(describeCause(cause).length).toBeGreaterThan(0);
    }
    expect(new Set(TRANSITION_CAUSES.map(describeCause)).size).toBe(TRANSITION_CAUSES.length);
  });

  it('shows a sentence stored before the causes were closed as it is', () => {
    expect(isTransitionCause('Refund Purchase succeeded')).toBe(false);
    expect(describeCause('Refund Purchase succeeded')).toBe('Refund Purchase succeeded');
  });

  it('refuses an unknown cause at compile time and at run time', () => {
    const write = (cause: TransitionCause): TransitionCause => cause;
    // @ts-expect-error a free sentence is not a transition cause (`npm run typecheck` fails if it ever becomes one)
    expect(() => assertTransitionCause(write('Refund Purchase succeeded'))).toThrow('Unknown transition cause');
    expect(() => assertTransitionCause('status-query')).not.toThrow();
  });

  it('writes nothing when a cast smuggles an unknown cause into a transition', async () => {
    const query = jest.fn();
    const tx = { query } as unknown as EntityManager;
    const repository = new TransactionsRepository({} as DataSource, {} as AppConfigService);
    await expect(
      repository.transition(tx, '00000000-0000-0000-0000-000000000001', 'SUCCESS', 'late-notification' as TransitionCause, 'doku-reported'),
    ).rejects.toThrow('Unknown transition cause: "late-notification"');
    expect(query).not.toHaveBeenCalled();
  });
});
