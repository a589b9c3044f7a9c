import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppError } from '../common/errors/app-error';
import { AppConfigService } from '../config/app-config.service';
import { DokuWalletAccounts } from '../integrations/doku/wallet/wallet-account.facade';
import { DokuResponseError } from '../integrations/doku/snap/doku.errors';
import { UsersRepository } from '../users/users.repository';
import { CreateRegistrationRequestDto } from './dto/create-registration.request.dto';
import { RegistrationResponseDto } from './dto/registration.response.dto';
import { VerifiedRegistrationResponseDto } from './dto/verified-registration.response.dto';
import { WalletRegistration } from './entities/wallet-registration.entity';
import { translateDokuError } from './wallet-doku-errors';
import { OtpSendLimiter } from './otp-send-limiter.service';
import { OTP_MAX_ATTEMPTS, OTP_MAX_RESENDS, OTP_RESEND_INTERVAL_SECONDS } from './wallet-otp.policy';
import { WalletRegistrationsRepository } from './wallet-registrations.repository';
import { WalletsRepository } from './wallets.repository';
import { newPartnerReference } from '../transactions/partner-reference';

export const REGISTRATION_CALLBACK_PATH = '/v1/callbacks/doku/registration';

const logger = new Logger('WalletRegistrationService');

/**
 * Registration (docs/doku-integration.md#registration): Account Creation → Verify OTP → DOKU's
 * create-PIN page → DOKU's redirect to our callback with the new accountId.
 */
@Injectable()
export class WalletRegistrationService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly registrations: WalletRegistrationsRepository,
    private readonly wallets: WalletsRepository,
    private readonly users: UsersRepository,
    private readonly doku: DokuWalletAccounts,
    private readonly config: AppConfigService,
    private readonly otpSends: OtpSendLimiter,
  ) {}

  async start(userId: string, input: CreateRegistrationRequestDto): Promise<RegistrationResponseDto> {
    const user = await this.users.findById(userId);
    if (!user) throw new AppError('USER.NOT_FOUND', 'User not found');
    const details = { name: input.name ?? user.name, email: input.email ?? user.email, phone: input.phone ?? user.phone };
    // The partnerReferenceNo of this attempt is stored before DOKU hears of it (docs/reliability.md#principles).
    const registration = await this.db.transaction(async (tx) => {
      const wallet = await this.wallets.getOrCreateForUpdate(tx, userId);
      if (wallet.status !== 'NONE' && wallet.status !== 'REGISTERING') {
        throw new AppError('WALLET.ALREADY_EXISTS', 'This user already has a DOKU Wallet: bind it instead', { status: wallet.status });
      }
      await this.otpSends.take(tx, { purpose: 'REGISTRATION', userId, phone: details.phone });
      await this.registrations.expireOpenForUser(tx, userId);
      const created = await this.registrations.create(tx, { userId, partnerReferenceNo: newPartnerReference('REG'), ...details });
      wallet.status = 'REGISTERING';
      wallet.phone = details.phone;
      await this.wallets.save(tx, wallet);
      return created;
    });
    await this.sendAccountCreation(registration);
    return RegistrationResponseDto.from((await this.registrations.findByIdForUser(registration.id, userId))!);
  }

  async verifyOtp(userId: string, registrationId: string, otp: string): Promise<VerifiedRegistrationResponseDto> {
    const registration = await this.requireOwn(userId, registrationId);
    if (registration.status !== 'OTP_SENT' && registration.status !== 'OTP_VERIFIED') {
      throw new AppError('WALLET.REGISTRATION_STATE', 'This registration no longer takes an OTP', { status: registration.status });
    }
    if (!registration.dokuReferenceNo) {
      throw new AppError('WALLET.REGISTRATION_STATE', 'No OTP is pending for this registration: request a new one', {
        status: registration.status,
      });
    }
    if (registration.otpFailedAttempts >= OTP_MAX_ATTEMPTS) {
      throw new AppError('OTP.BLOCKED', 'Too many wrong OTPs: request a new OTP', { attemptsLeft: 0 });
    }
    let answer;
    try {
      answer = await this.doku.verifyOtp({
        partnerReferenceNo: registration.partnerReferenceNo,
        referenceNo: registration.dokuReferenceNo,
        otp,
      });
    } catch (error) {
      throw await this.otpFailure(registration, error);
    }
    const { pinPageUrl: pageUrl, pinPageToken: token } = answer.body;
    if (!pageUrl || !token || !/^https?:\/\//i.test(pageUrl)) {
      logger.warn(`Verify OTP for registration ${registration.id} answered without a create-PIN page`);
      throw new AppError('DOKU.UNAVAILABLE', 'DOKU did not return the PIN page; try again later');
    }
    await this.registrations.update(registration.id, { status: 'OTP_VERIFIED', failureCode: null });
    // The token is a one-time secret: it goes to the owner in this answer and nowhere else.
    const url = new URL(pageUrl);
    url.searchParams.set('token', token);
    return { registrationId: registration.id, status: 'OTP_VERIFIED', pinPageUrl: url.toString() };
  }

  /**
   * Resending uses Account Creation again with a NEW partnerReferenceNo, as DOKU's demo apps do:
   * its path and fields are documented [DOC][SDK], whereas Request OTP has an inferred path and
   * unverified keys (docs/doku-integration.md#registration). DOKU supersedes the earlier attempt for
   * the same phone.
   */
  async resendOtp(userId: string, registrationId: string): Promise<RegistrationResponseDto> {
    const registration = await this.requireOwn(userId, registrationId);
    if (registration.status !== 'OTP_SENT') {
      throw new AppError('WALLET.REGISTRATION_STATE', 'This registration no longer takes an OTP', { status: registration.status });
    }
    if (registration.otpResends >= OTP_MAX_RESENDS) {
      throw new AppError('OTP.RESEND_LIMIT', 'No more OTP resends for this registration: start a new one', { maxResends: OTP_MAX_RESENDS });
    }
    // A resend is one more OTP to the phone: it counts against the user's and the phone's window too.
    const otpKey = { purpose: 'REGISTRATION' as const, userId, phone: registration.phone };
    const claimed = await this.db.transaction(async (tx) => {
      await this.otpSends.admit(tx, otpKey);
      const row = await this.registrations.claimResend(
        {
          userId,
          registrationId,
          newPartnerReferenceNo: newPartnerReference('REG'),
          minIntervalSeconds: OTP_RESEND_INTERVAL_SECONDS,
          maxResends: OTP_MAX_RESENDS,
        },
        tx,
      );
      if (row) await this.otpSends.record(tx, otpKey);
      return row;
    });
    if (!claimed) {
      const current = await this.requireOwn(userId, registrationId);
      const sentAt = current.lastOtpSentAt?.getTime() ?? 0;
      const retryAfter = Math.max(1, Math.ceil((sentAt + OTP_RESEND_INTERVAL_SECONDS * 1000 - Date.now()) / 1000));
      if (current.otpResends >= OTP_MAX_RESENDS) {
        throw new AppError('OTP.RESEND_LIMIT', 'No more OTP resends for this registration: start a new one', {
          maxResends: OTP_MAX_RESENDS,
        });
      }
      throw new AppError(
        'OTP.RESEND_TOO_SOON',
        'An OTP was sent moments ago: wait before asking for another',
        { retryAfterSeconds: retryAfter },
        { 'Retry-After': String(retryAfter) },
      );
    }
    await this.sendAccountCreation(claimed);
    return RegistrationResponseDto.from((await this.registrations.findByIdForUser(registrationId, userId))!);
  }

  /**
   * DOKU's browser redirect after the PIN was created (docs/doku-integration.md#pin-pages). Only a
   * registration of ours that passed Verify OTP can complete; an unknown or replayed reference
   * changes nothing. Gives the outcome the customer's page shows; a reload after completion shows
   * "already created" and changes nothing.
   */
  async complete(query: { accountId?: string; partnerReferenceNo?: string; status?: string }): Promise<RegistrationCallbackResult> {
    const { accountId, partnerReferenceNo, status } = query;
    if (
      !partnerReferenceNo ||
      !/^REG-(?:[0-9a-f]{32}|[0-9a-f-]{36})$/.test(partnerReferenceNo) ||
      !accountId ||
      !/^[0-9A-Za-z]{1,36}$/.test(accountId)
    ) {
      return { outcome: 'NOT_FOUND' };
    }
    return this.db.transaction(async (tx): Promise<RegistrationCallbackResult> => {
      const registration = await this.registrations.findByPartnerReferenceForUpdate(tx, partnerReferenceNo);
      if (!registration) return { outcome: 'NOT_FOUND' };
      const result = (outcome: RegistrationCallbackOutcome): RegistrationCallbackResult => ({ outcome, registrationId: registration.id });
      if (registration.status === 'COMPLETED')
        return registration.dokuAccountId === accountId ? result('ALREADY_CREATED') : { outcome: 'NOT_FOUND' };
      if (registration.status === 'EXPIRED') return result('EXPIRED');
      if (registration.status === 'FAILED') return result('FAILED');
      // Before Verify OTP no PIN page exists: this link is not one DOKU sent.
      if (registration.status !== 'OTP_VERIFIED') return { outcome: 'NOT_FOUND' };
      if (status !== 'SUCCESS') {
        // DOKU reports no account: the registration ends here, with its reason; the customer starts again.
        await this.registrations.update(registration.id, { status: 'FAILED', failureCode: 'WALLET.ACCOUNT_NOT_CREATED' }, tx);
        return result('FAILED');
      }
      await this.registrations.update(registration.id, { status: 'COMPLETED', dokuAccountId: accountId, failureCode: null }, tx);
      const wallet = await this.wallets.getOrCreateForUpdate(tx, registration.userId);
      // A wallet bound meanwhile (another DOKU account) stays as it is.
      if (wallet.status === 'NONE' || wallet.status === 'REGISTERING') {
        wallet.status = 'REGISTERED';
        wallet.dokuAccountId = accountId;
        wallet.phone = registration.phone;
        await this.wallets.save(tx, wallet);
      }
      return result('CREATED');
    });
  }

  private async sendAccountCreation(registration: WalletRegistration): Promise<void> {
    try {
      const { body } = await this.doku.apply({
        partnerReferenceNo: registration.partnerReferenceNo,
        name: registration.name,
        email: registration.email,
        phone: registration.phone,
        redirectUrl: `${this.config.app.publicBaseUrl}${REGISTRATION_CALLBACK_PATH}`,
      });
      if (!body.referenceNo) throw new AppError('DOKU.UNAVAILABLE', 'DOKU did not return a reference; try again later');
      await this.registrations.update(registration.id, { dokuReferenceNo: body.referenceNo, lastOtpSentAt: new Date(), failureCode: null });
    } catch (error) {
      const translated = translateDokuError(error);
      const code = translated instanceof AppError ? translated.code : 'INTERNAL.ERROR';
      // The attempt ends here; the user may resend or start again (DOKU supersedes it).
      await this.registrations.update(registration.id, { failureCode: code, lastOtpSentAt: new Date() });
      throw translated;
    }
  }

  private async otpFailure(registration: WalletRegistration, error: unknown): Promise<unknown> {
    if (error instanceof DokuResponseError) {
      const details = { responseCode: error.responseCode };
      switch (error.code) {
        case 'DOKU.INVALID_OTP': {
          const failed = await this.registrations.countFailedOtp(registration.id, 'OTP.INVALID');
          const attemptsLeft = Math.max(0, OTP_MAX_ATTEMPTS - failed);
          if (attemptsLeft === 0)
            return new AppError('OTP.BLOCKED', 'Too many wrong OTPs: request a new OTP', { ...details, attemptsLeft });
          return new AppError('OTP.INVALID', 'The OTP is wrong', { ...details, attemptsLeft });
        }
        case 'DOKU.OTP_BLOCKED':
          await this.registrations.update(registration.id, { otpFailedAttempts: OTP_MAX_ATTEMPTS, failureCode: 'OTP.BLOCKED' });
          return new AppError('OTP.BLOCKED', 'Too many wrong OTPs: request a new OTP', { ...details, attemptsLeft: 0 });
        case 'DOKU.OTP_EXPIRED':
          await this.registrations.update(registration.id, { failureCode: 'OTP.EXPIRED' });
          return new AppError('OTP.EXPIRED', 'The OTP has expired: request a new one', { ...details, attemptsLeft: 0 });
        default:
          break;
      }
    }
    return translateDokuError(error);
  }

  private async requireOwn(userId: string, registrationId: string): Promise<WalletRegistration> {
    const registration = await this.registrations.findByIdForUser(registrationId, userId);
    if (!registration) throw new AppError('WALLET.REGISTRATION_NOT_FOUND', 'Registration not found');
    return registration;
  }
}

/** What the registration callback's page tells the customer. */
export type RegistrationCallbackOutcome = 'CREATED' | 'ALREADY_CREATED' | 'FAILED' | 'EXPIRED' | 'NOT_FOUND';

/** The outcome, and the registration it is about when the link named one of ours. */
export interface RegistrationCallbackResult {
  outcome: RegistrationCallbackOutcome;
  registrationId?: string;
}

/** partnerReferenceNo: a prefix naming the operation and a UUID (≤64 characters). */
