import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryFailedError } from 'typeorm';
import { CustomerTokenVault } from '../auth-token/customer-token-vault.service';
import { AppError } from '../common/errors/app-error';
import { AppConfigService } from '../config/app-config.service';
import { DokuWalletAccounts } from '../integrations/doku/wallet/wallet-account.facade';
import { DokuResponseError } from '../integrations/doku/snap/doku.errors';
import { UsersRepository } from '../users/users.repository';
import { BindingResponseDto } from './dto/binding.response.dto';
import { CreateBindingRequestDto } from './dto/create-binding.request.dto';
import { UnbindingResponseDto } from './dto/unbinding.response.dto';
import { WalletBinding } from './entities/wallet-binding.entity';
import { OtpSendLimiter } from './otp-send-limiter.service';
import { WalletBindingsRepository } from './wallet-bindings.repository';
import { translateDokuError } from './wallet-doku-errors';
import { newPartnerReference } from '../transactions/partner-reference';
import { WalletsRepository } from './wallets.repository';

export const BINDING_CALLBACK_PATH = '/v1/callbacks/doku/binding';

/** What the binding callback's page tells the customer. */
export type BindingCallbackOutcome =
  'LINKED' | 'ALREADY_LINKED' | 'CANCELLED' | 'FAILED' | 'ACCOUNT_IN_USE' | 'EXPIRED' | 'NOT_FOUND' | 'UNAVAILABLE';

/** The outcome, and the binding it is about when the link named one of ours. */
export interface BindingCallbackResult {
  outcome: BindingCallbackOutcome;
  bindingId?: string;
}

/** A reload of the callback of a binding that is no longer pending: its outcome again, nothing changed. */
function finishedBindingOutcome(binding: WalletBinding): BindingCallbackOutcome {
  if (binding.status === 'ACTIVE' || binding.status === 'UNBINDING') return 'ALREADY_LINKED';
  if (binding.status === 'CANCELLED') return 'CANCELLED';
  if (binding.status === 'UNBOUND' || binding.failureReason === 'SUPERSEDED') return 'EXPIRED';
  if (binding.failureReason === 'ACCOUNT_IN_USE') return 'ACCOUNT_IN_USE';
  return 'FAILED';
}

const logger = new Logger('WalletBindingService');

/**
 * Account Binding and Account Unbinding (docs/doku-integration.md#binding, #unbinding).
 *
 * DOKU appends `authCode` to OUR redirectUrl, so the redirectUrl carries the binding's own
 * partnerReferenceNo as `ref`: the callback finds the binding by it, and the authCode, exchanged
 * at DOKU's token endpoint, is what proves the user approved.
 */
@Injectable()
export class WalletBindingService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly bindings: WalletBindingsRepository,
    private readonly wallets: WalletsRepository,
    private readonly users: UsersRepository,
    private readonly doku: DokuWalletAccounts,
    private readonly vault: CustomerTokenVault,
    private readonly config: AppConfigService,
    private readonly otpSends: OtpSendLimiter,
  ) {}

  async bind(userId: string, input: CreateBindingRequestDto): Promise<BindingResponseDto> {
    const user = await this.users.findById(userId);
    if (!user) throw new AppError('USER.NOT_FOUND', 'User not found');
    const phone = input.phone ?? (input.accountId ? user.phone : undefined);
    const binding = await this.db.transaction(async (tx) => {
      const wallet = await this.wallets.getOrCreateForUpdate(tx, userId);
      if (wallet.status === 'BOUND') throw new AppError('WALLET.ALREADY_BOUND', 'The DOKU Wallet is already bound: unbind it first');
      const accountId = input.accountId ?? wallet.dokuAccountId;
      if (!accountId) {
        throw new AppError('WALLET.ACCOUNT_ID_REQUIRED', 'Give the DOKU account id of the wallet to bind, or create a DOKU Wallet first');
      }
      // DOKU asks the wallet's owner to approve (PIN or OTP): binding attempts are capped like OTPs.
      await this.otpSends.take(tx, { purpose: 'BINDING', userId, phone: phone ?? wallet.phone ?? user.phone });
      await this.bindings.failPendingForUser(tx, userId);
      return this.bindings.create(tx, { userId, partnerReferenceNo: newPartnerReference('BIND'), dokuAccountId: accountId });
    });
    let answer;
    try {
      answer = await this.doku.bind({
        partnerReferenceNo: binding.partnerReferenceNo,
        redirectUrl: this.callbackUrl(binding.partnerReferenceNo),
        accountId: binding.dokuAccountId,
        ...(phone ? { phone } : {}),
      });
    } catch (error) {
      const translated = translateDokuError(error);
      await this.bindings.update(binding.id, { status: 'FAILED', failureReason: 'DOKU_ERROR' });
      throw translated;
    }
    const started = answer.body;
    const nextAction = started.consentPageUrl;
    if (!nextAction || !/^https?:\/\//i.test(nextAction)) {
      await this.bindings.update(binding.id, { status: 'FAILED', failureReason: 'DOKU_ERROR' });
      throw new AppError('DOKU.UNAVAILABLE', 'DOKU did not return the binding page; try again later');
    }
    // Wallet row first, then bindings: the order of every transaction here, so concurrent requests queue instead of deadlocking.
    await this.db.transaction(async (tx) => {
      const wallet = await this.wallets.getOrCreateForUpdate(tx, userId);
      await this.bindings.update(binding.id, { dokuReferenceNo: started.referenceNo, linkId: started.linkId }, tx);
      if (started.publicUserId) wallet.publicUserId = started.publicUserId;
      // The phone of an existing DOKU Wallet is the one the user told us (customerNumber).
      if (phone) wallet.phone = phone;
      await this.wallets.save(tx, wallet);
    });
    return { bindingId: binding.id, status: 'PENDING', nextAction };
  }

  /**
   * DOKU's browser redirect after the consent page (docs/doku-integration.md#pin-pages). An unknown,
   * finished or forged reference changes nothing; a refused authCode leaves the binding pending for
   * the real redirect. Gives the outcome the customer's page shows; a reload of a finished binding
   * shows its outcome again and changes nothing.
   */
  async complete(query: { ref?: string; authCode?: string; status?: string }): Promise<BindingCallbackResult> {
    const { ref } = query;
    if (!ref || !/^BIND-(?:[0-9a-f]{32}|[0-9a-f-]{36})$/.test(ref)) return { outcome: 'NOT_FOUND' };
    const binding = await this.db.transaction((tx) => this.bindings.findByPartnerReferenceForUpdate(tx, ref));
    if (!binding) return { outcome: 'NOT_FOUND' };
    return { outcome: await this.completeBinding(binding, ref, query), bindingId: binding.id };
  }

  private async completeBinding(
    binding: WalletBinding,
    ref: string,
    query: { authCode?: string; status?: string },
  ): Promise<BindingCallbackOutcome> {
    const { authCode, status } = query;
    if (binding.status !== 'PENDING') return finishedBindingOutcome(binding);

    if (!authCode) {
      // The customer pressed Cancel on DOKU's page: its own outcome, not a decline; they can simply bind again.
      if (status === 'CANCELLED') {
        await this.bindings.update(binding.id, { status: 'CANCELLED', failureReason: 'CUSTOMER_CANCELLED' });
        return 'CANCELLED';
      }
      // DOKU ended it (e.g. too many wrong PINs).
      if (status === 'FAILED') {
        await this.bindings.update(binding.id, { status: 'FAILED', failureReason: 'DOKU_DECLINED' });
        return 'FAILED';
      }
      return 'FAILED';
    }
    if (!/^[\x21-\x7e]{1,512}$/.test(authCode)) return 'FAILED';

    try {
      await this.vault.storeFromAuthCode(binding.userId, authCode, binding.dokuAccountId);
    } catch (error) {
      if (
        error instanceof DokuResponseError &&
        (error.kind === 'NOT_FOUND' || error.kind === 'REJECTED' || error.kind === 'INVALID_CUSTOMER_TOKEN')
      ) {
        logger.warn(`Binding ${binding.id}: DOKU refused the authorization code (${error.responseCode ?? error.kind})`);
        return 'FAILED';
      }
      // A token for another account than the one being bound, or one naming none.
      if (error instanceof AppError && error.code === 'DOKU.BAD_REQUEST') return 'FAILED';
      logger.warn(`Binding ${binding.id}: the authorization code could not be exchanged now; the binding stays pending`);
      return 'UNAVAILABLE';
    }
    try {
      return await this.db.transaction(async (tx): Promise<BindingCallbackOutcome> => {
        const wallet = await this.wallets.getOrCreateForUpdate(tx, binding.userId);
        const locked = await this.bindings.findByPartnerReferenceForUpdate(tx, ref);
        if (!locked) return 'NOT_FOUND';
        // A reload that raced the first redirect: the first one finished it.
        if (locked.status !== 'PENDING') return finishedBindingOutcome(locked);
        await this.bindings.endLiveForUser(tx, locked.userId, locked.id);
        const now = new Date();
        await this.bindings.update(locked.id, { status: 'ACTIVE', boundAt: now }, tx);
        wallet.status = 'BOUND';
        wallet.dokuAccountId = locked.dokuAccountId;
        wallet.linkId = locked.linkId;
        wallet.boundAt = now;
        if (!wallet.phone) wallet.phone = (await this.users.findById(locked.userId))?.phone ?? null;
        await this.wallets.save(tx, wallet);
        return 'LINKED';
      });
    } catch (error) {
      if (error instanceof QueryFailedError && (error as QueryFailedError & { code?: string }).code === '23505') {
        // Another user of ours has this DOKU account bound (wallets_doku_account_id_key).
        await this.vault.purge(binding.userId);
        await this.bindings.update(binding.id, { status: 'FAILED', failureReason: 'ACCOUNT_IN_USE' });
        return 'ACCOUNT_IN_USE';
      }
      throw error;
    }
  }

  /**
   * Unbinding (inferred, docs/doku-integration.md#unbinding): DOKU says unbinding is confirmed
   * through Verify OTP, so the binding normally waits in UNBINDING for the OTP DOKU sends. Should
   * DOKU's answer already report `unlinkResult: success` (a one-step unbinding), it is complete at
   * once. Every call is a new request to DOKU (it sends a new OTP each time), so each gets a new
   * partnerReferenceNo: reusing an earlier one would be a duplicate reference to DOKU, and the OTP it
   * sent would belong to the earlier request.
   */
  async unbind(userId: string): Promise<UnbindingResponseDto> {
    const binding = await this.db.transaction(async (tx) => {
      const wallet = await this.wallets.getOrCreateForUpdate(tx, userId);
      const live = await this.bindings.findLiveForUser(userId, tx);
      if (!live || (wallet.status !== 'BOUND' && wallet.status !== 'NEEDS_REBINDING')) {
        throw new AppError('WALLET.NOT_BOUND', 'The DOKU Wallet is not bound to this app');
      }
      // Every Account Unbinding call makes DOKU send a new OTP.
      await this.otpSends.take(tx, { purpose: 'UNBINDING', userId, phone: wallet.phone });
      live.status = 'UNBINDING';
      live.unbindPartnerReferenceNo = newPartnerReference('UNBIND');
      live.unbindDokuReferenceNo = null;
      await this.bindings.update(
        live.id,
        { status: 'UNBINDING', unbindPartnerReferenceNo: live.unbindPartnerReferenceNo, unbindDokuReferenceNo: null },
        tx,
      );
      return live;
    });
    let answer;
    try {
      answer = await this.doku.unbind({
        partnerReferenceNo: binding.unbindPartnerReferenceNo!,
        linkId: binding.linkId,
        accountId: binding.dokuAccountId,
      });
    } catch (error) {
      if (error instanceof DokuResponseError && error.code === 'DOKU.INVALID_ACCOUNT') {
        // DOKU no longer knows this link: there is nothing left to unbind.
        return this.finishUnbinding(binding);
      }
      if (error instanceof DokuResponseError && !error.outcomeUnknown) {
        await this.bindings.update(binding.id, { status: 'ACTIVE', unbindPartnerReferenceNo: null });
      }
      throw translateDokuError(error);
    }
    if (answer.body.unlinked) return this.finishUnbinding(binding);
    await this.bindings.update(binding.id, { unbindDokuReferenceNo: answer.body.referenceNo });
    return { status: 'UNBINDING', otpRequired: true, walletStatus: (await this.wallets.findByUserId(userId))?.status ?? 'NONE' };
  }

  async confirmUnbindOtp(userId: string, otp: string): Promise<UnbindingResponseDto> {
    const binding = await this.bindings.findLiveForUser(userId);
    if (!binding || binding.status !== 'UNBINDING' || !binding.unbindPartnerReferenceNo || !binding.unbindDokuReferenceNo) {
      throw new AppError('WALLET.UNBINDING_NOT_STARTED', 'No unbinding is waiting for an OTP: start with POST /v1/wallet/unbinding');
    }
    try {
      await this.doku.verifyOtp({
        partnerReferenceNo: binding.unbindPartnerReferenceNo,
        referenceNo: binding.unbindDokuReferenceNo,
        otp,
      });
    } catch (error) {
      if (error instanceof DokuResponseError) {
        const details = { responseCode: error.responseCode };
        if (error.code === 'DOKU.INVALID_OTP') throw new AppError('OTP.INVALID', 'The OTP is wrong', details);
        if (error.code === 'DOKU.OTP_EXPIRED') throw new AppError('OTP.EXPIRED', 'The OTP has expired: start the unbinding again', details);
        if (error.code === 'DOKU.OTP_BLOCKED') throw new AppError('OTP.BLOCKED', 'Too many wrong OTPs: start the unbinding again', details);
      }
      throw translateDokuError(error);
    }
    return this.finishUnbinding(binding);
  }

  /** Binding UNBOUND, wallet back to REGISTERED (the DOKU account still exists), tokens purged. */
  private async finishUnbinding(binding: WalletBinding): Promise<UnbindingResponseDto> {
    await this.db.transaction(async (tx) => {
      const wallet = await this.wallets.getOrCreateForUpdate(tx, binding.userId);
      await this.bindings.update(binding.id, { status: 'UNBOUND', unboundAt: new Date() }, tx);
      wallet.status = 'REGISTERED';
      wallet.linkId = null;
      wallet.boundAt = null;
      await this.wallets.save(tx, wallet);
    });
    await this.vault.purge(binding.userId);
    logger.log(`Binding ${binding.id} unbound`);
    return { status: 'UNBOUND', otpRequired: false, walletStatus: 'REGISTERED' };
  }

  private callbackUrl(partnerReferenceNo: string): string {
    const url = new URL(`${this.config.app.publicBaseUrl}${BINDING_CALLBACK_PATH}`);
    url.searchParams.set('ref', partnerReferenceNo);
    return url.toString();
  }
}
