import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryFailedError } from 'typeorm';
import { CustomerTokenVault } from '../auth-token/customer-token-vault.service';
import { AppError } from '../common/errors/app-error';
import { AppConfigService } from '../config/app-config.service';
import { DokuClient } from '../integrations/doku/doku.client';
import { DokuResponseError } from '../integrations/doku/doku.errors';
import { UsersRepository } from '../users/users.repository';
import { BindingResponseDto } from './dto/binding.response.dto';
import { CreateBindingRequestDto } from './dto/create-binding.request.dto';
import { UnbindingResponseDto } from './dto/unbinding.response.dto';
import { WalletBinding } from './entities/wallet-binding.entity';
import { OtpSendLimiter } from './otp-send-limiter.service';
import { WalletBindingsRepository } from './wallet-bindings.repository';
import { translateDokuError } from './wallet-doku-errors';
import { newReference } from './wallet-registration.service';
import { WalletsRepository } from './wallets.repository';

export const BINDING_CALLBACK_PATH = '/v1/callbacks/doku/binding';

const logger = new Logger('WalletBindingService');

/**
 * Account Binding (§3.6, §3.2 A steps 6-8) and Account Unbinding (§3.8).
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
    private readonly doku: DokuClient,
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
      return this.bindings.create(tx, { userId, partnerReferenceNo: newReference('BIND'), dokuAccountId: accountId });
    });
    let answer;
    try {
      answer = await this.doku.accountBinding({
        partnerReferenceNo: binding.partnerReferenceNo,
        redirectUrl: this.callbackUrl(binding.partnerReferenceNo),
        successParams: { accountId: binding.dokuAccountId },
        ...(phone ? { phoneNo: phone } : {}),
      });
    } catch (error) {
      const translated = translateDokuError(error);
      await this.bindings.update(binding.id, { status: 'FAILED' });
      throw translated;
    }
    const nextAction = answer.body.nextAction;
    if (!nextAction || !/^https?:\/\//i.test(nextAction)) {
      await this.bindings.update(binding.id, { status: 'FAILED' });
      throw new AppError('DOKU.UNAVAILABLE', 'DOKU did not return the binding page; try again later');
    }
    // Wallet row first, then bindings: the order of every transaction here, so concurrent requests queue instead of deadlocking.
    await this.db.transaction(async (tx) => {
      const wallet = await this.wallets.getOrCreateForUpdate(tx, userId);
      await this.bindings.update(binding.id, { dokuReferenceNo: answer.body.referenceNo ?? null, linkId: answer.body.linkId ?? null }, tx);
      if (answer.body.userInfo?.publicUserId) wallet.publicUserId = answer.body.userInfo.publicUserId;
      // The phone of an existing DOKU Wallet is the one the user told us (customerNumber, §3.1).
      if (phone) wallet.phone = phone;
      await this.wallets.save(tx, wallet);
    });
    return { bindingId: binding.id, status: 'PENDING', nextAction };
  }

  /**
   * DOKU's browser redirect after the consent page (§3.2 A.7). An unknown, finished or forged
   * reference changes nothing; a refused authCode leaves the binding pending for the real redirect.
   */
  async complete(query: { ref?: string; authCode?: string; status?: string }): Promise<void> {
    const { ref, authCode, status } = query;
    if (!ref || !/^BIND-[0-9a-f-]{36}$/.test(ref)) throw new AppError('WALLET.BINDING_NOT_FOUND', 'Unknown binding');
    const binding = await this.db.transaction((tx) => this.bindings.findByPartnerReferenceForUpdate(tx, ref));
    if (!binding || binding.status !== 'PENDING') throw new AppError('WALLET.BINDING_NOT_FOUND', 'Unknown binding');

    if (!authCode) {
      if (status === 'CANCELLED' || status === 'FAILED') {
        await this.bindings.update(binding.id, { status: 'FAILED' });
        throw new AppError('WALLET.BINDING_FAILED', 'The binding was not approved on DOKU', { status });
      }
      throw new AppError('WALLET.BINDING_FAILED', 'DOKU did not return an authorization code');
    }
    if (!/^[\x21-\x7e]{1,512}$/.test(authCode)) throw new AppError('WALLET.BINDING_FAILED', 'DOKU did not return a usable authorization code');

    try {
      await this.vault.storeFromAuthCode(binding.userId, authCode, binding.dokuAccountId);
    } catch (error) {
      if (error instanceof DokuResponseError && (error.kind === 'NOT_FOUND' || error.kind === 'REJECTED' || error.kind === 'INVALID_CUSTOMER_TOKEN')) {
        throw new AppError('WALLET.BINDING_FAILED', 'DOKU refused the authorization code', { responseCode: error.responseCode });
      }
      throw translateDokuError(error);
    }
    try {
      await this.db.transaction(async (tx) => {
        const wallet = await this.wallets.getOrCreateForUpdate(tx, binding.userId);
        const locked = await this.bindings.findByPartnerReferenceForUpdate(tx, ref);
        if (!locked || locked.status !== 'PENDING') throw new AppError('WALLET.BINDING_NOT_FOUND', 'Unknown binding');
        await this.bindings.endLiveForUser(tx, locked.userId, locked.id);
        const now = new Date();
        await this.bindings.update(locked.id, { status: 'ACTIVE', boundAt: now }, tx);
        wallet.status = 'BOUND';
        wallet.dokuAccountId = locked.dokuAccountId;
        wallet.linkId = locked.linkId;
        wallet.boundAt = now;
        if (!wallet.phone) wallet.phone = (await this.users.findById(locked.userId))?.phone ?? null;
        await this.wallets.save(tx, wallet);
      });
    } catch (error) {
      if (error instanceof QueryFailedError && (error as QueryFailedError & { code?: string }).code === '23505') {
        // Another user of ours has this DOKU account bound (wallets_doku_account_id_key).
        await this.vault.purge(binding.userId);
        await this.bindings.update(binding.id, { status: 'FAILED' });
        throw new AppError('WALLET.ACCOUNT_IN_USE', 'This DOKU Wallet is bound to another user');
      }
      throw error;
    }
  }

  /**
   * §3.8 (inferred): DOKU says unbinding is confirmed through Verify OTP, so the binding normally
   * waits in UNBINDING for the OTP DOKU sends. Should DOKU's answer already report
   * `unlinkResult: success` (a one-step unbinding), it is complete at once. Every call is a new
   * request to DOKU (it sends a new OTP each time), so each gets a new partnerReferenceNo: reusing
   * an earlier one would be a duplicate reference to DOKU, and the OTP it sent would belong to
   * the earlier request.
   */
  async unbind(userId: string): Promise<UnbindingResponseDto> {
    const binding = await this.db.transaction(async (tx) => {
      const wallet = await this.wallets.getOrCreateForUpdate(tx, userId);
      const live = await this.bindings.findLiveForUser(userId, tx);
      if (!live || (wallet.status !== 'BOUND' && wallet.status !== 'NEEDS_REBINDING')) {
        throw new AppError('WALLET.NOT_BOUND', 'The DOKU Wallet is not bound to this app');
      }
      // Every Account Unbinding call makes DOKU send a new OTP (§3.8).
      await this.otpSends.take(tx, { purpose: 'UNBINDING', userId, phone: wallet.phone });
      live.status = 'UNBINDING';
      live.unbindPartnerReferenceNo = newReference('UNBIND');
      live.unbindDokuReferenceNo = null;
      await this.bindings.update(live.id, { status: 'UNBINDING', unbindPartnerReferenceNo: live.unbindPartnerReferenceNo, unbindDokuReferenceNo: null }, tx);
      return live;
    });
    let answer;
    try {
      answer = await this.doku.accountUnbinding({
        merchantId: this.config.doku.clientId,
        partnerReferenceNo: binding.unbindPartnerReferenceNo!,
        ...(binding.linkId ? { linkId: binding.linkId } : {}),
        additionalInfo: { accountId: binding.dokuAccountId },
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
    if (String(answer.body.unlinkResult ?? '').toLowerCase() === 'success') return this.finishUnbinding(binding);
    await this.bindings.update(binding.id, { unbindDokuReferenceNo: answer.body.referenceNo ?? null });
    return { status: 'UNBINDING', otpRequired: true, walletStatus: (await this.wallets.findByUserId(userId))?.status ?? 'NONE' };
  }

  async confirmUnbindOtp(userId: string, otp: string): Promise<UnbindingResponseDto> {
    const binding = await this.bindings.findLiveForUser(userId);
    if (!binding || binding.status !== 'UNBINDING' || !binding.unbindPartnerReferenceNo || !binding.unbindDokuReferenceNo) {
      throw new AppError('WALLET.UNBINDING_NOT_STARTED', 'No unbinding is waiting for an OTP: start with POST /v1/wallet/unbinding');
    }
    try {
      await this.doku.verifyOtp({
        originalPartnerReferenceNo: binding.unbindPartnerReferenceNo,
        originalReferenceNo: binding.unbindDokuReferenceNo,
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

  /** Binding UNBOUND, wallet back to REGISTERED (the DOKU account still exists), tokens purged (§5.9). */
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
