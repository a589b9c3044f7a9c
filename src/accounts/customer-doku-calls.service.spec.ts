import type { CustomerTokenVault } from '../auth-token/customer-token-vault.service';
import { AppError } from '../common/errors/app-error';
import type { DokuResult } from '../integrations/doku/snap/doku.client';
import { DokuResponseError } from '../integrations/doku/snap/doku.errors';
import { CustomerDokuCalls } from './customer-doku-calls.service';
import type { WalletsRepository } from './wallets.repository';

const USER = 'user-1';

function refused(kind: 'INVALID_CUSTOMER_TOKEN' | 'INVALID_B2B_TOKEN' = 'INVALID_CUSTOMER_TOKEN'): DokuResponseError {
  const [code, responseCode] =
    kind === 'INVALID_B2B_TOKEN' ? (['DOKU.INVALID_TOKEN', '4011101'] as const) : (['DOKU.INVALID_CUSTOMER_TOKEN', '4011102'] as const);
  return new DokuResponseError(code, kind, false, responseCode, 401, false, { endpoint: 'balanceInquiry' }, undefined);
}

/**
 * A vault whose current token is the next of `tokens` each time one is refused (as when another
 * instance renewed it, or the vault renewed it itself), and a wallets repository that records flags.
 */
function setUp(tokens: string[]) {
  let current = 0;
  const invalidated: string[] = [];
  const flagged: string[] = [];
  const vault = {
    getValidToken: jest.fn(async () => tokens[current]),
    invalidateCustomerToken: jest.fn(async (_userId: string, token?: string) => {
      invalidated.push(token ?? '');
      if (token === tokens[current]) current = Math.min(current + 1, tokens.length - 1);
    }),
  };
  const wallets = {
    markNeedsRebinding: jest.fn(async (userId: string) => {
      flagged.push(userId);
    }),
  };
  const calls = new CustomerDokuCalls(vault as unknown as CustomerTokenVault, wallets as unknown as WalletsRepository);
  return { calls, invalidated, flagged };
}

/** A DOKU call that refuses the tokens in `refusedTokens` and answers the others, recording what it was sent. */
function dokuCall(refusedTokens: Set<string>, sent: string[]) {
  return async (token: string): Promise<DokuResult<{ token: string }>> => {
    sent.push(token);
    if (refusedTokens.has(token)) throw refused();
    return { body: { token } } as unknown as DokuResult<{ token: string }>;
  };
}

describe('CustomerDokuCalls: a refused customer token', () => {
  it('is answered by sending again with the current token: a token replaced twice in a row still ends in the answer, nothing flagged', async () => {
    const { calls, invalidated, flagged } = setUp(['a', 'b', 'c']);
    const sent: string[] = [];
    const result = await calls.run(USER, dokuCall(new Set(['a', 'b']), sent));
    expect(result.body).toEqual({ token: 'c' });
    expect(sent).toEqual(['a', 'b', 'c']);
    expect(invalidated).toEqual(['a', 'b']);
    expect(flagged).toEqual([]);
  });

  it('flags the wallet for rebinding after three refused tokens, and sends no fourth time', async () => {
    const { calls, invalidated, flagged } = setUp(['a', 'b', 'c', 'd']);
    const sent: string[] = [];
    await expect(calls.run(USER, dokuCall(new Set(['a', 'b', 'c', 'd']), sent))).rejects.toMatchObject({
      code: 'WALLET.NEEDS_REBINDING',
      details: { reason: 'TOKENS_REFUSED' },
    });
    expect(sent).toEqual(['a', 'b', 'c']);
    expect(invalidated).toEqual(['a', 'b', 'c']);
    expect(flagged).toEqual([USER]);
  });

  it('counts a refused B2B token on a customer call as a refused customer token', async () => {
    const { calls, flagged } = setUp(['a', 'b']);
    const sent: string[] = [];
    const result = await calls.run(USER, async (token) => {
      sent.push(token);
      if (token === 'a') throw refused('INVALID_B2B_TOKEN');
      return { body: { token } } as unknown as DokuResult<{ token: string }>;
    });
    expect(result.body).toEqual({ token: 'b' });
    expect(sent).toEqual(['a', 'b']);
    expect(flagged).toEqual([]);
  });

  it('sends once and passes any other answer on, token kept', async () => {
    const { calls, invalidated, flagged } = setUp(['a']);
    const other = new AppError('DOKU.UNAVAILABLE', 'DOKU is not available right now; try again later');
    let sends = 0;
    await expect(
      calls.run(USER, async () => {
        sends++;
        throw other;
      }),
    ).rejects.toBe(other);
    expect(sends).toBe(1);
    expect(invalidated).toEqual([]);
    expect(flagged).toEqual([]);
  });
});
