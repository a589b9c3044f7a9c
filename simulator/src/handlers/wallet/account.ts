import { encryptAuthCode } from '../../crypto';
import { errors, messageFor, SnapError } from '../../codes';
import { money } from '../../money';
import { PAGE_PATHS } from '../../paths';
import type { Account, Binding, OtpRecord, Registration, Unbinding } from '../../store';
import { normalisePhone } from '../../store';
import { additionalInfoOf, LEN, str, validate } from '../../validate';
import { assertNewReference, fingerprint, recordReference } from '../snap/common';
import type { Handler, HandlerResult, RequestContext } from '../types';

const URL_PATTERN = /^https?:\/\/[^\s]+$/i;
const PHONE_PATTERN = /^(\+?62|0)\d{7,14}$/;
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+$/;

/** Account Creation: registers a customer and sends an OTP to the phone. */
export const accountCreation: Handler = (ctx) => {
  const { body, svc, sim, partner } = ctx;
  validate(svc, body, [
    { path: 'partnerReferenceNo', kind: 'string', required: true, max: LEN.ref },
    { path: 'name', kind: 'string', required: true, max: LEN.name },
    { path: 'email', kind: 'string', required: true, max: LEN.email, pattern: EMAIL_PATTERN },
    { path: 'phoneNo', kind: 'string', required: true, max: LEN.phone, pattern: PHONE_PATTERN },
    { path: 'redirectUrl', kind: 'string', required: true, max: LEN.url, pattern: URL_PATTERN },
    { path: 'additionalInfo', kind: 'object' },
  ]);
  const partnerReferenceNo = body.partnerReferenceNo as string;
  const phoneNo = body.phoneNo as string;
  const fp = fingerprint({ phone: normalisePhone(phoneNo), email: body.email, name: body.name });
  assertNewReference(ctx, svc, partnerReferenceNo, fp);

  if (sim.store.accountByPhone(phoneNo)) {
    const c = sim.settings.phoneRegisteredCode;
    throw new SnapError(c, `${messageFor(Number(c.slice(0, 3)), c.slice(5))} {phoneNo already registered}`);
  }
  // A new Account Creation for the same phone is how DOKU's demos resend the OTP.
  for (const reg of sim.store.registrations.values()) {
    if (reg.clientId === partner.clientId && normalisePhone(reg.phoneNo) === normalisePhone(phoneNo) && reg.status !== 'PIN_CREATED') {
      reg.status = 'SUPERSEDED';
    }
  }
  const referenceNo = sim.newReferenceNo();
  const otp = sim.newOtp();
  const reg: Registration = {
    clientId: partner.clientId,
    partnerReferenceNo,
    referenceNo,
    name: body.name as string,
    email: body.email as string,
    phoneNo,
    redirectUrl: body.redirectUrl as string,
    otp,
    otpExpiresAt: ctx.now + sim.settings.otpTtlMs,
    otpAttempts: 0,
    otpResends: 0,
    status: 'OTP_SENT',
    createdAt: ctx.now,
    fingerprint: fp,
  };
  sim.store.registrations.set(referenceNo, reg);
  sendOtp(ctx, reg, 'ACCOUNT_CREATION');
  recordReference(ctx, svc, partnerReferenceNo, fp, referenceNo);
  return { body: { referenceNo, partnerReferenceNo } };
};

type OtpHolder = Pick<Registration, 'phoneNo' | 'otp' | 'referenceNo' | 'partnerReferenceNo' | 'otpExpiresAt'>;

/** "Sends" the OTP: the control API's `GET /_sim/otp?phoneNo=` reads the last one per phone. */
function sendOtp(ctx: RequestContext, reg: OtpHolder, purpose: OtpRecord['purpose']): void {
  ctx.sim.store.otps.set(normalisePhone(reg.phoneNo), {
    phoneNo: reg.phoneNo,
    otp: reg.otp,
    purpose,
    referenceNo: reg.referenceNo,
    partnerReferenceNo: reg.partnerReferenceNo,
    sentAt: ctx.now,
    expiresAt: reg.otpExpiresAt,
  });
}

function findRegistration(
  ctx: RequestContext,
  referenceNo: string | undefined,
  partnerReferenceNo: string | undefined,
): Registration | undefined {
  const store = ctx.sim.store;
  if (referenceNo) {
    const reg = store.registrations.get(referenceNo);
    if (!reg || reg.clientId !== ctx.partner.clientId) return undefined;
    if (partnerReferenceNo && reg.partnerReferenceNo !== partnerReferenceNo) return undefined;
    return reg;
  }
  if (partnerReferenceNo) {
    for (const reg of store.registrations.values()) {
      if (reg.clientId === ctx.partner.clientId && reg.partnerReferenceNo === partnerReferenceNo) return reg;
    }
  }
  return undefined;
}

/** A pending (or finished) two-step unbinding of this partner, by its references (like `findRegistration`). */
function findUnbinding(
  ctx: RequestContext,
  referenceNo: string | undefined,
  partnerReferenceNo: string | undefined,
): Unbinding | undefined {
  const store = ctx.sim.store;
  if (referenceNo) {
    const unb = store.unbindings.get(referenceNo);
    if (!unb || unb.clientId !== ctx.partner.clientId) return undefined;
    if (partnerReferenceNo && unb.partnerReferenceNo !== partnerReferenceNo) return undefined;
    return unb;
  }
  if (partnerReferenceNo) {
    let latest: Unbinding | undefined;
    for (const unb of store.unbindings.values()) {
      if (unb.clientId === ctx.partner.clientId && unb.partnerReferenceNo === partnerReferenceNo) latest = unb;
    }
    return latest;
  }
  return undefined;
}

/**
 * Verify OTP. For an Account Creation, success returns the create-PIN page URL and its one-time token. For an
 * Account Unbinding (two-step), success completes the unbinding.
 */
export const verifyOtp: Handler = (ctx) => {
  const { body, svc, sim } = ctx;
  validate(svc, body, [
    { path: 'originalPartnerReferenceNo', kind: 'string', required: true, max: LEN.ref },
    { path: 'originalReferenceNo', kind: 'string', required: true, max: LEN.ref },
    { path: 'otp', kind: 'string', required: true, max: LEN.otp, pattern: /^\d+$/ },
    { path: 'additionalInfo', kind: 'object' },
  ]);
  const reg = findRegistration(ctx, body.originalReferenceNo as string, body.originalPartnerReferenceNo as string);
  if (!reg) {
    const unbinding = findUnbinding(ctx, body.originalReferenceNo as string, body.originalPartnerReferenceNo as string);
    if (unbinding) return verifyUnbindingOtp(ctx, unbinding);
    throw errors.notFound(svc);
  }
  if (reg.status === 'SUPERSEDED') throw errors.otpExpired(svc);
  if (reg.status === 'PIN_CREATED') throw errors.invalidStatus(svc);
  if (reg.status === 'OTP_SENT') {
    if (reg.otpAttempts >= sim.settings.otpMaxAttempts) throw errors.otpBlocked(svc);
    if (ctx.now >= reg.otpExpiresAt) throw errors.otpExpired(svc);
    if (body.otp !== reg.otp) {
      reg.otpAttempts += 1;
      if (reg.otpAttempts >= sim.settings.otpMaxAttempts) throw errors.otpBlocked(svc);
      throw errors.invalidOtp(svc);
    }
    reg.status = 'OTP_VERIFIED';
    reg.pinToken = sim.newSecretToken();
    sim.store.pinTokens.set(reg.pinToken, reg);
  } else if (body.otp !== reg.otp) {
    throw errors.invalidOtp(svc);
  }
  return {
    body: {
      originalPartnerReferenceNo: reg.partnerReferenceNo,
      originalReferenceNo: reg.referenceNo,
      email: reg.email,
      phoneNo: reg.phoneNo,
      sendOtpFlag: 'YES',
      qparamsURL: `${sim.publicUrl}${PAGE_PATHS.createPin}`,
      qparams: { token: reg.pinToken },
      additionalInfo: additionalInfoOf(body),
    },
  };
};

/**
 * Request OTP (path and keys inferred): resends the OTP of a registration or of a pending two-step
 * unbinding, found by `originalReferenceNo` / `originalPartnerReferenceNo` (top level or in additionalInfo),
 * or by `partnerReferenceNo`.
 */
export const requestOtp: Handler = (ctx) => {
  const { body, svc, sim } = ctx;
  validate(svc, body, [
    { path: 'journeyId', kind: 'string', required: true, max: 32 },
    { path: 'partnerReferenceNo', kind: 'string', max: LEN.ref },
    { path: 'originalReferenceNo', kind: 'string', max: LEN.ref },
    { path: 'originalPartnerReferenceNo', kind: 'string', max: LEN.ref },
    { path: 'merchantId', kind: 'string', max: LEN.ref },
    { path: 'subMerchant', kind: 'string', max: 32 },
    { path: 'externalStoreId', kind: 'string', max: LEN.ref },
    { path: 'trxDateTime', kind: 'datetime' },
    { path: 'bankCardToken', kind: 'string', max: 128 },
    { path: 'otpTrxCode', kind: 'string', max: 2 },
    { path: 'otpReasonCode', kind: 'string', max: 2 },
    { path: 'otpReasonMessage', kind: 'string', max: 30 },
    { path: 'additionalInfo', kind: 'object' },
    { path: 'additionalInfo.originalReferenceNo', kind: 'string', max: LEN.ref },
    { path: 'additionalInfo.originalPartnerReferenceNo', kind: 'string', max: LEN.ref },
  ]);
  const originalReferenceNo = str(body, 'originalReferenceNo') ?? str(body, 'additionalInfo.originalReferenceNo');
  const originalPartnerRef = str(body, 'originalPartnerReferenceNo') ?? str(body, 'additionalInfo.originalPartnerReferenceNo');
  const byOriginal = Boolean(originalReferenceNo || originalPartnerRef);
  const reg: Registration | Unbinding | undefined =
    findRegistration(ctx, originalReferenceNo, originalPartnerRef) ??
    (byOriginal ? undefined : findRegistration(ctx, undefined, str(body, 'partnerReferenceNo'))) ??
    findUnbinding(ctx, originalReferenceNo, originalPartnerRef) ??
    (byOriginal ? undefined : findUnbinding(ctx, undefined, str(body, 'partnerReferenceNo')));
  if (!reg) throw errors.notFound(svc);
  if (reg.status !== 'OTP_SENT') throw errors.invalidStatus(svc);
  if (reg.otpResends >= sim.settings.otpMaxResends) throw errors.activityLimit(svc);
  reg.otpResends += 1;
  reg.otp = sim.newOtp();
  reg.otpAttempts = 0;
  reg.otpExpiresAt = ctx.now + sim.settings.otpTtlMs;
  sendOtp(ctx, reg, 'REQUEST_OTP');
  return {
    body: {
      referenceNo: reg.referenceNo,
      partnerReferenceNo: str(body, 'partnerReferenceNo') ?? reg.partnerReferenceNo,
      chargeToken: sim.newSecretToken().padEnd(40, '0').slice(0, 40),
      additionalInfo: additionalInfoOf(body),
    },
  };
};

/** Account Binding: returns `nextAction`, the consent page where the customer enters the PIN. */
export const accountBinding: Handler = (ctx) => {
  const { body, svc, sim, partner } = ctx;
  validate(svc, body, [
    { path: 'partnerReferenceNo', kind: 'string', required: true, max: LEN.ref },
    { path: 'redirectUrl', kind: 'string', required: true, max: LEN.url, pattern: URL_PATTERN },
    { path: 'successParams', kind: 'object', required: true },
    { path: 'successParams.accountId', kind: 'string', required: true, max: 36 },
    { path: 'merchantId', kind: 'string', max: LEN.ref },
    { path: 'phoneNo', kind: 'string', max: LEN.phone },
    { path: 'additionalInfo', kind: 'object' },
  ]);
  const partnerReferenceNo = body.partnerReferenceNo as string;
  const accountId = (body.successParams as { accountId: string }).accountId;
  const fp = fingerprint({ accountId, redirectUrl: body.redirectUrl });
  assertNewReference(ctx, svc, partnerReferenceNo, fp);
  const account = sim.store.accounts.get(accountId);
  if (!account) throw errors.invalidAccount(svc);
  if (account.status !== 'ACTIVE') throw errors.doNotHonor(svc);
  const existing = sim.store.bindings.get(`${partner.clientId}|${accountId}`);
  const linkId = existing && existing.status === 'ACTIVE' ? existing.linkId : sim.newLinkId();
  const referenceNo = sim.newReferenceNo();
  const consentToken = sim.newSecretToken();
  sim.store.bindingsByConsent.set(consentToken, {
    clientId: partner.clientId,
    accountId,
    linkId,
    partnerReferenceNo,
    referenceNo,
    redirectUrl: body.redirectUrl as string,
    status: 'PENDING',
    consentToken,
    pinAttempts: 0,
    createdAt: ctx.now,
    fingerprint: fp,
  });
  recordReference(ctx, svc, partnerReferenceNo, fp, referenceNo);
  return {
    body: {
      referenceNo,
      partnerReferenceNo,
      linkId,
      nextAction: sim.pageUrl(PAGE_PATHS.bindingConsent, consentToken),
      redirectUrl: body.redirectUrl,
      userInfo: { publicUserId: account.publicUserId },
    },
  };
};

/** A fresh one-time authCode for (client, account), exchanged at the B2B2C token endpoint. */
export function issueAuthCode(ctx: Pick<RequestContext, 'sim' | 'now'>, clientId: string, accountId: string): string {
  const code = ctx.sim.newSecretToken();
  ctx.sim.store.authCodes.set(code, { code, clientId, accountId, expiresAt: ctx.now + ctx.sim.settings.authCodeTtlMs, used: false });
  return code;
}

/** Query Account Binding: a fresh authCode, AES-encrypted under the partner's auth-code key. */
export const queryAccountBinding: Handler = (ctx) => {
  const { body, svc, sim, partner } = ctx;
  validate(svc, body, [
    { path: 'partnerReferenceNo', kind: 'string', required: true, max: LEN.ref },
    { path: 'additionalInfo', kind: 'object', required: true },
    { path: 'additionalInfo.accountId', kind: 'string', required: true, max: 36 },
  ]);
  const accountId = (body.additionalInfo as { accountId: string }).accountId;
  const binding = sim.store.activeBinding(partner.clientId, accountId);
  if (!binding) throw errors.invalidAccount(svc);
  const code = issueAuthCode(ctx, partner.clientId, accountId);
  return {
    body: {
      partnerReferenceNo: body.partnerReferenceNo,
      additionalInfo: {
        linkId: binding.linkId,
        authCode: encryptAuthCode(partner.authCodeKey, code),
        remarks: '',
        merchantId: partner.clientId,
      },
    },
  };
};

/** Ends a binding: customer tokens revoked, open authCodes spent, Query Account Binding answers `4040811`. */
function applyUnbinding(ctx: RequestContext, binding: Binding): void {
  binding.status = 'UNBOUND';
  ctx.tokens.revoke({ clientId: binding.clientId, accountId: binding.accountId, kind: 'b2b2c' });
  for (const code of ctx.sim.store.authCodes.values()) {
    if (code.clientId === binding.clientId && code.accountId === binding.accountId) code.used = true;
  }
}

/**
 * Account Unbinding (path and fields inferred, docs/doku-integration.md#unbinding). The binding is found by `linkId` or
 * `additionalInfo.accountId`.
 *
 * Two-step by default (`unbindingOtp`; DOKU's docs [DOC]: "the unbinding must be completed by sending the OTP
 * to Verify OTP"): this call answers `2000900` with `unlinkResult: "PENDING"` ([INF]: DOKU's value while the
 * OTP is awaited is unknown) and sends an OTP to the account's phone; the binding stays active until Verify
 * OTP (`originalPartnerReferenceNo` = this partnerReferenceNo, `originalReferenceNo` = this referenceNo)
 * confirms it. A new unbinding of the same binding supersedes a pending one. With `unbindingOtp: false` the
 * unbinding takes effect at once (`unlinkResult: "success"`).
 */
export const accountUnbinding: Handler = (ctx) => {
  const { body, svc, sim, partner } = ctx;
  validate(svc, body, [
    { path: 'partnerReferenceNo', kind: 'string', max: LEN.ref },
    { path: 'linkId', kind: 'string', max: LEN.linkId },
    { path: 'merchantId', kind: 'string', max: LEN.ref },
    { path: 'subMerchantId', kind: 'string', max: LEN.subMerchantId },
    { path: 'tokenId', kind: 'string', max: 128 },
    { path: 'additionalInfo', kind: 'object' },
    { path: 'additionalInfo.accountId', kind: 'string', max: 36 },
  ]);
  const linkId = str(body, 'linkId');
  const accountId = str(body, 'additionalInfo.accountId');
  if (!linkId && !accountId) throw errors.missingField(svc, 'linkId');
  // Verify OTP needs the partnerReferenceNo as its originalPartnerReferenceNo (mandatory there) [INF].
  const partnerReferenceNo = str(body, 'partnerReferenceNo');
  if (sim.settings.unbindingOtp && !partnerReferenceNo) throw errors.missingField(svc, 'partnerReferenceNo');
  let binding = accountId ? sim.store.activeBinding(partner.clientId, accountId) : undefined;
  if (!accountId && linkId) {
    binding = [...sim.store.bindings.values()].find((b) => b.clientId === partner.clientId && b.linkId === linkId && b.status === 'ACTIVE');
  }
  if (!binding || (linkId && binding.linkId !== linkId)) throw errors.invalidAccount(svc);
  const referenceNo = sim.newReferenceNo();
  let unlinkResult = 'success';
  if (sim.settings.unbindingOtp) {
    const account = sim.store.accounts.get(binding.accountId);
    if (!account) throw errors.invalidAccount(svc);
    for (const other of sim.store.unbindings.values()) {
      if (other.clientId === partner.clientId && other.accountId === binding.accountId && other.status === 'OTP_SENT')
        other.status = 'SUPERSEDED';
    }
    const unbinding: Unbinding = {
      clientId: partner.clientId,
      accountId: binding.accountId,
      linkId: binding.linkId,
      partnerReferenceNo: partnerReferenceNo as string,
      referenceNo,
      phoneNo: account.phoneNo,
      otp: sim.newOtp(),
      otpExpiresAt: ctx.now + sim.settings.otpTtlMs,
      otpAttempts: 0,
      otpResends: 0,
      status: 'OTP_SENT',
      createdAt: ctx.now,
    };
    sim.store.unbindings.set(referenceNo, unbinding);
    sendOtp(ctx, unbinding, 'ACCOUNT_UNBINDING');
    unlinkResult = 'PENDING';
  } else {
    applyUnbinding(ctx, binding);
  }
  return {
    body: {
      referenceNo,
      partnerReferenceNo: partnerReferenceNo ?? '',
      merchantId: str(body, 'merchantId') ?? partner.clientId,
      linkId: binding.linkId,
      unlinkResult,
      additionalInfo: additionalInfoOf(body),
    },
  };
};

/**
 * Verify OTP for a two-step unbinding: the same OTP rules as Account Creation (expiry `4030412`, wrong
 * `4040415`, blocked after `otp.maxAttempts` `4030411`, superseded = expired). The right OTP ends the
 * binding; the answer echoes the references and carries `linkId` and `unlinkResult: "success"` in
 * `additionalInfo` [INF]. A repeated Verify OTP with the right code answers the same again.
 */
function verifyUnbindingOtp(ctx: RequestContext, unb: Unbinding): HandlerResult {
  const { body, svc, sim } = ctx;
  if (unb.status === 'SUPERSEDED') throw errors.otpExpired(svc);
  if (unb.status === 'OTP_SENT') {
    if (unb.otpAttempts >= sim.settings.otpMaxAttempts) throw errors.otpBlocked(svc);
    if (ctx.now >= unb.otpExpiresAt) throw errors.otpExpired(svc);
    if (body.otp !== unb.otp) {
      unb.otpAttempts += 1;
      if (unb.otpAttempts >= sim.settings.otpMaxAttempts) throw errors.otpBlocked(svc);
      throw errors.invalidOtp(svc);
    }
    unb.status = 'CONFIRMED';
    unb.confirmedAt = ctx.now;
    // The binding may have ended meanwhile (nothing left to do); otherwise it ends now.
    const binding = sim.store.activeBinding(unb.clientId, unb.accountId);
    if (binding && binding.linkId === unb.linkId) applyUnbinding(ctx, binding);
  } else if (body.otp !== unb.otp) {
    throw errors.invalidOtp(svc);
  }
  return {
    body: {
      originalPartnerReferenceNo: unb.partnerReferenceNo,
      originalReferenceNo: unb.referenceNo,
      phoneNo: unb.phoneNo,
      additionalInfo: { ...additionalInfoOf(body), linkId: unb.linkId, unlinkResult: 'success' },
    },
  };
}

/** Balance Inquiry. */
export const balanceInquiry: Handler = (ctx) => {
  const { body, svc, sim } = ctx;
  validate(svc, body, [
    { path: 'partnerReferenceNo', kind: 'string', max: LEN.ref },
    { path: 'bankCardToken', kind: 'string', max: 128 },
    { path: 'accountNo', kind: 'string', max: 16 },
    { path: 'balanceTypes', kind: 'array' },
    { path: 'additionalInfo', kind: 'object' },
  ]);
  const account = ctx.account as Account;
  const result: HandlerResult['body'] = {
    referenceNo: sim.newReferenceNo(),
    partnerReferenceNo: str(body, 'partnerReferenceNo') ?? '',
    accountNo: account.accountId,
    name: account.name,
    accountInfos: [
      {
        balanceType: 'Cash',
        amount: money(account.balance),
        availableBalance: money(sim.store.available(account)),
        holdAmount: money(account.held),
        ledgerBalance: money(account.balance),
        status: account.status === 'ACTIVE' ? '0001' : '0007',
      },
    ],
    additionalInfo: additionalInfoOf(body),
  };
  return { body: result };
};

/** Creates an account directly: the create-PIN page and the control API both end here. */
export function createAccount(
  ctx: Pick<RequestContext, 'sim' | 'now'>,
  input: { name: string; email: string; phoneNo: string; pin: string; balance?: bigint; maxBalance?: bigint },
): Account {
  const sim = ctx.sim;
  const account: Account = {
    accountId: sim.newAccountId(),
    publicUserId: `${sim.now()}`.padEnd(14, '0').slice(0, 14) + sim.rng.digits(6),
    name: input.name,
    email: input.email,
    phoneNo: input.phoneNo,
    pin: input.pin,
    status: 'ACTIVE',
    balance: 0n,
    held: 0n,
    maxBalance: input.maxBalance ?? sim.settings.accountMaxBalance,
    createdAt: ctx.now,
  };
  sim.store.addAccount(account);
  if (input.balance !== undefined && input.balance > 0n) sim.store.adminSet(account, input.balance, ctx.now);
  return account;
}
