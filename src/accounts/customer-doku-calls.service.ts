import { Injectable } from '@nestjs/common';
import { CustomerTokenVault } from '../auth-token/customer-token-vault.service';
import { AppError } from '../common/errors/app-error';
import type { DokuResult } from '../integrations/doku/snap/doku.client';
import { DokuResponseError, isDokuError } from '../integrations/doku/snap/doku.errors';
import { WalletsRepository } from './wallets.repository';

/** How many times one customer-scoped call is sent, each with the user's current token, before DOKU's refusals flag the wallet. */
const SENDS = 3;

/**
 * DOKU refused the customer token. `401xx01` counts too on a customer-scoped call: DOKU's own demo
 * reads it that way, and we handle 01 to 04 alike (docs/doku-integration.md#refused-tokens). The
 * client has already renewed the B2B token once by then.
 */
function customerTokenRefused(error: unknown): error is DokuResponseError {
  return error instanceof DokuResponseError && (error.kind === 'INVALID_CUSTOMER_TOKEN' || error.kind === 'INVALID_B2B_TOKEN');
}

/**
 * The one way to make a customer-scoped DOKU call (Authorization-Customer,
 * docs/doku-integration.md#headers) for a user. When DOKU refuses the customer token the request was
 * stopped at authentication and nothing was applied, so it is sent again, unchanged (same business
 * reference; the client takes a new X-EXTERNAL-ID), with the user's current token, renewed when
 * needed. A token can be refused moments after it was read: another instance renewed the user's
 * token meanwhile (DOKU may keep only the newest), or DOKU revoked it. So one call is sent up to
 * SENDS times, each with the user's token as the vault has it then (never the one just refused),
 * before the wallet is marked NEEDS_REBINDING and `WALLET.NEEDS_REBINDING` is thrown; it is marked at
 * once when no token can be had at all.
 *
 * Failures to obtain a token are thrown as plain AppErrors (not DOKU errors): they happen before
 * the call is sent, so a money operation reads them as declined, never as outcome unknown.
 */
@Injectable()
export class CustomerDokuCalls {
  constructor(
    private readonly vault: CustomerTokenVault,
    private readonly wallets: WalletsRepository,
  ) {}

  async run<T>(userId: string, call: (customerToken: string) => Promise<DokuResult<T>>): Promise<DokuResult<T>> {
    for (let sent = 0; sent < SENDS; sent++) {
      const token = await this.token(userId);
      try {
        return await call(token);
      } catch (error) {
        if (!customerTokenRefused(error)) throw error;
      }
      // The vault skips a refused token from now on, and renews when the stored one is that token.
      await this.vault.invalidateCustomerToken(userId, token);
    }
    await this.wallets.markNeedsRebinding(userId);
    throw new AppError('WALLET.NEEDS_REBINDING', 'The DOKU Wallet must be bound again before it can be used', {
      reason: 'TOKENS_REFUSED',
    });
  }

  private async token(userId: string): Promise<string> {
    try {
      return await this.vault.getValidToken(userId);
    } catch (error) {
      if (error instanceof AppError && error.code === 'WALLET.NEEDS_REBINDING') {
        await this.wallets.markNeedsRebinding(userId);
        throw new AppError(error.code, error.message, error.details);
      }
      if (isDokuError(error)) {
        throw new AppError('DOKU.UNAVAILABLE', 'DOKU is not available right now; try again later', error.details);
      }
      throw error;
    }
  }
}
