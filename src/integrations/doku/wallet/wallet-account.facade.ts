import { Injectable } from '@nestjs/common';
import { AppConfigService } from '../../../config/app-config.service';
import type { DokuResult } from '../snap/doku.client';
import { DokuClient, mapResult } from '../snap/doku.client';
import type {
  AccountApplication,
  AccountApplicationSent,
  BindingApplication,
  BindingStarted,
  OtpConfirmation,
  OtpVerified,
  UnbindingApplication,
  UnbindingStarted,
} from './wallet-account.mapper';
import {
  toAccountApplicationSent,
  toAccountBindingRequest,
  toAccountCreationRequest,
  toAccountUnbindingRequest,
  toBindingStarted,
  toOtpVerified,
  toUnbindingStarted,
  toVerifyOtpRequest,
} from './wallet-account.mapper';

/**
 * The user's DOKU Wallet account in our own types: apply for one (Account Creation), confirm an OTP
 * (Verify OTP), bind it (Account Binding) and unbind it (Account Unbinding). Each method is one
 * `DokuClient` call and throws what the client throws.
 */
@Injectable()
export class DokuWalletAccounts {
  constructor(
    private readonly client: DokuClient,
    private readonly config: AppConfigService,
  ) {}

  /** Account Creation: DOKU sends the user an OTP. */
  async apply(application: AccountApplication): Promise<DokuResult<AccountApplicationSent>> {
    return mapResult(await this.client.accountCreation(toAccountCreationRequest(application)), toAccountApplicationSent);
  }

  /** Verify OTP, for an application or an unbinding. */
  async verifyOtp(confirmation: OtpConfirmation): Promise<DokuResult<OtpVerified>> {
    return mapResult(await this.client.verifyOtp(toVerifyOtpRequest(confirmation)), toOtpVerified);
  }

  /** Account Binding: DOKU's consent page for the owner. */
  async bind(application: BindingApplication): Promise<DokuResult<BindingStarted>> {
    return mapResult(await this.client.accountBinding(toAccountBindingRequest(application)), toBindingStarted);
  }

  /** Account Unbinding, in the partner's name (its DOKU client id as merchantId). */
  async unbind(application: UnbindingApplication): Promise<DokuResult<UnbindingStarted>> {
    return mapResult(
      await this.client.accountUnbinding(toAccountUnbindingRequest(application, this.config.doku.clientId)),
      toUnbindingStarted,
    );
  }
}
