import { Injectable } from '@nestjs/common';
import type { AccountBindingState, CustomerTokenGrant, CustomerTokens } from './customer-token.mapper';
import { toAccountBindingState, toB2b2cTokenRequest, toCustomerTokens, toQueryAccountBindingRequest } from './customer-token.mapper';
import type { DokuResult } from '../snap/doku.client';
import { DokuClient, mapResult } from '../snap/doku.client';

/** A user's customer (B2B2C) token at DOKU in our own types: the token grant and Query Account Binding. */
@Injectable()
export class DokuCustomerTokens {
  constructor(private readonly client: DokuClient) {}

  /** The B2B2C token endpoint: new tokens for an authCode or a refresh token. */
  async issue(grant: CustomerTokenGrant): Promise<DokuResult<CustomerTokens>> {
    return mapResult(await this.client.b2b2cToken(toB2b2cTokenRequest(grant)), toCustomerTokens);
  }

  /** Query Account Binding for a bound account: a fresh, encrypted authCode. */
  async queryBinding(accountId: string, partnerReferenceNo: string): Promise<DokuResult<AccountBindingState>> {
    return mapResult(
      await this.client.queryAccountBinding(toQueryAccountBindingRequest(accountId, partnerReferenceNo)),
      toAccountBindingState,
    );
  }
}
