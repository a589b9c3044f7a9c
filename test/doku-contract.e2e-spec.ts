import { rupiah } from '../src/common/money/money';
import { DEV_DOKU_CREDENTIALS } from '../src/config/dev-credentials';
import { toSnapMoney } from '../src/integrations/doku/snap/doku-mapper';
import { DOKU_ENDPOINT_NAMES, DOKU_ENDPOINTS } from '../src/integrations/doku/snap/doku-endpoints';
import { REDACTED } from '../src/integrations/doku/snap/doku-redaction';
import { decryptAuthCode } from '../src/integrations/doku/snap/doku-signature';
import type { AccountCreationRequest, PurchaseWebRequest, TopUpRequest } from '../src/integrations/doku/wallet/wallet-wire.types';
import type { SnapMoney } from '../src/integrations/doku/snap/snap-wire.types';
import type { DokuClientConfig, DokuResult } from '../src/integrations/doku/snap/doku.client';
import { DokuResponseError, DokuTimeoutError, DokuTransportError } from '../src/integrations/doku/snap/doku.errors';
import type { SimulatorHandle } from '../simulator/src';
import { startSimulator } from '../simulator/src';
import type { CachingB2bTokenProvider, ContractHarness } from './support/doku-contract-helpers';
import {
  buildHarness,
  contractConfig,
  eventually,
  phone,
  QueuedExternalIds,
  RecorderRegistry,
  ref,
  ScriptedB2bTokenProvider,
  SecretBook,
  submitForm,
} from './support/doku-contract-helpers';

/**
 * Contract between our `DokuClient` (src/integrations/doku) and the DOKU simulator (simulator/),
 * both built from docs/doku-integration.md: every endpoint of the endpoint map succeeds with its
 * documented code and fields, and the documented failures (authentication, response codes,
 * idempotency, uncertain outcomes) surface as the right error kind, code and
 * `outcomeUnknown`. No database and no Nest app: the client is built directly on test ports.
 */

const CLIENT_ID = DEV_DOKU_CREDENTIALS.clientId;
const PIN = '735194';
const money = (amount: number): SnapMoney => toSnapMoney(rupiah(amount));

interface Customer {
  accountId: string;
  phoneNo: string;
  customerToken: string;
  refreshToken: string;
}

interface ExpectedFailure {
  kind: DokuResponseError['kind'];
  code: string;
  responseCode: string;
  outcomeUnknown: boolean;
}

async function failureOf(call: Promise<unknown>): Promise<unknown> {
  try {
    await call;
  } catch (error) {
    return error;
  }
  throw new Error('expected the DOKU call to fail, it succeeded');
}

async function expectResponseError(call: Promise<unknown>, expected: ExpectedFailure): Promise<DokuResponseError> {
  const error = await failureOf(call);
  expect(error).toBeInstanceOf(DokuResponseError);
  const e = error as DokuResponseError;
  expect({ kind: e.kind, code: e.code, responseCode: e.responseCode, outcomeUnknown: e.outcomeUnknown }).toEqual(expected);
  return e;
}

/** SNAP's success code, or another success code the same operation's table lists (DOKU's pages vary). */
function expectSuccess(result: DokuResult<unknown>, successCode: string): void {
  const family = Object.values(DOKU_ENDPOINTS).find((e) => e.successCode === successCode)?.codes.success ?? [successCode];
  expect(family).toContain(result.responseCode);
  expect(result.httpStatus).toBe(200);
  expect(result.replayed).toBe(false);
  expect((result.body as { responseCode?: unknown }).responseCode).toBe(result.responseCode);
}

const JAKARTA_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00$/;

describe('DokuClient ↔ DOKU simulator contract', () => {
  const registry = new RecorderRegistry();
  const secrets = new SecretBook();
  /** Every B2B token provider whose tokens must stay out of the records. */
  const providers: CachingB2bTokenProvider[] = [];
  const harnesses: ContractHarness[] = [];
  let sim: SimulatorHandle;
  let main: ContractHarness;
  let mainTokens: CachingB2bTokenProvider;

  const harness = (config: DokuClientConfig, parts?: Parameters<typeof buildHarness>[2]) => {
    const h = buildHarness(registry, config, parts);
    harnesses.push(h);
    if (h.ownTokens) providers.push(h.ownTokens);
    return h;
  };

  /** A ready wallet bound to the partner (control API `bindTo`), with a customer token from its authCode. */
  async function boundCustomer(balance: number): Promise<Customer> {
    const phoneNo = phone();
    const created = sim.control.createAccount({ phoneNo, balance, pin: PIN, bindTo: CLIENT_ID });
    secrets.add(created.authCode);
    const token = await main.client.b2b2cToken({ grantType: 'authorization_code', authCode: created.authCode as string });
    secrets.add(token.body.accessToken);
    secrets.add(token.body.refreshToken);
    return {
      accountId: created.accountId,
      phoneNo,
      customerToken: token.body.accessToken as string,
      refreshToken: token.body.refreshToken as string,
    };
  }

  const account = (accountId: string) => sim.control.getAccount(accountId) as { balance: string; held: string; available: string };

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, log: false, seed: 'doku-contract' });
    main = harness(contractConfig(sim.url));
    mainTokens = providers[0];
    secrets.add(DEV_DOKU_CREDENTIALS.clientSecret);
    secrets.addShort(PIN);
  });

  afterAll(async () => {
    await Promise.all(harnesses.map((h) => h.client.close()));
    await sim?.close();
  });

  // ---------------------------------------------------------------------------------------------
  describe('tokens', () => {
    it('B2B token: 2007300 with a Bearer JWT that expires in 900 s, sent without X-EXTERNAL-ID', async () => {
      const res = await main.client.b2bToken();
      expectSuccess(res, '2007300');
      secrets.add(res.body.accessToken);
      expect(res.body.accessToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(res.body.tokenType).toBe('Bearer');
      expect(res.body.expiresIn).toBe(900);
      expect(res.externalId).toBeUndefined();
    });

    it('B2B2C token: 2007400 from an authCode, then again from the refresh token', async () => {
      const created = sim.control.createAccount({ phoneNo: phone(), pin: PIN, bindTo: CLIENT_ID });
      secrets.add(created.authCode);
      const first = await main.client.b2b2cToken({ grantType: 'authorization_code', authCode: created.authCode as string });
      expectSuccess(first, '2007400');
      secrets.add(first.body.accessToken);
      secrets.add(first.body.refreshToken);
      expect(first.body.tokenType).toBe('Bearer');
      expect(first.body.accessToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(first.body.refreshToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(first.body.accessTokenExpiryTime).toMatch(JAKARTA_TIME);
      expect(first.body.refreshTokenExpiryTime).toMatch(JAKARTA_TIME);
      expect(Date.parse(first.body.refreshTokenExpiryTime as string)).toBeGreaterThan(
        Date.parse(first.body.accessTokenExpiryTime as string),
      );

      const refreshed = await main.client.b2b2cToken({ grantType: 'refresh_token', refreshToken: first.body.refreshToken as string });
      expectSuccess(refreshed, '2007400');
      secrets.add(refreshed.body.accessToken);
      secrets.add(refreshed.body.refreshToken);
      expect(refreshed.body.accessToken).not.toBe(first.body.accessToken);
      const balance = await main.client.balanceInquiry(refreshed.body.accessToken as string, { partnerReferenceNo: ref('BAL') });
      expect(balance.body.accountNo).toBe(created.accountId);
    });

    it('an authCode is single-use: the second exchange is a 404 7401 rejection', async () => {
      const created = sim.control.createAccount({ phoneNo: phone(), pin: PIN, bindTo: CLIENT_ID });
      secrets.add(created.authCode);
      const first = await main.client.b2b2cToken({ grantType: 'authorization_code', authCode: created.authCode as string });
      secrets.add(first.body.accessToken);
      secrets.add(first.body.refreshToken);
      await expectResponseError(main.client.b2b2cToken({ grantType: 'authorization_code', authCode: created.authCode as string }), {
        kind: 'NOT_FOUND',
        code: 'DOKU.NOT_FOUND',
        responseCode: '4047401',
        outcomeUnknown: false,
      });
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('onboarding: creation → OTP → PIN → binding → customer token', () => {
    const phoneNo = phone();
    const creationRef = ref('REG');
    let referenceNo: string;
    let otp: string;
    let accountId: string;
    let linkId: string;
    let customerToken: string;

    it('Account Creation: 2000600 with DOKU referenceNo; an OTP goes to the phone', async () => {
      const res = await main.client.accountCreation({
        partnerReferenceNo: creationRef,
        name: 'Jane Doe',
        email: 'jane.doe@example.com',
        phoneNo,
        redirectUrl: 'https://partner.example.com/doku/registered',
      });
      expectSuccess(res, '2000600');
      expect(res.body.partnerReferenceNo).toBe(creationRef);
      expect(res.body.referenceNo).toEqual(expect.stringMatching(/^\S{1,64}$/));
      expect(res.externalId).toMatch(/^\d{1,32}$/);
      referenceNo = res.body.referenceNo as string;
      const sent = sim.control.lastOtp(phoneNo);
      expect(sent.referenceNo).toBe(referenceNo);
      expect(sent.purpose).toBe('ACCOUNT_CREATION');
      secrets.addShort(sent.otp);
    });

    it('Request OTP: 2008100 with a chargeToken; a new OTP is sent for the same registration', async () => {
      const res = await main.client.requestOtp({
        journeyId: String(Date.now()),
        partnerReferenceNo: ref('OTP'),
        otpTrxCode: '06',
        additionalInfo: { originalReferenceNo: referenceNo, originalPartnerReferenceNo: creationRef },
      });
      expectSuccess(res, '2008100');
      expect(res.body.chargeToken).toMatch(/^\S{1,40}$/);
      secrets.add(res.body.chargeToken);
      const resent = sim.control.lastOtp(phoneNo);
      expect(resent.purpose).toBe('REQUEST_OTP');
      expect(resent.referenceNo).toBe(referenceNo);
      otp = resent.otp;
      secrets.addShort(otp);
    });

    it('a wrong OTP is 4040415 (Invalid OTP), a plain rejection', async () => {
      const wrong = otp === '000000' ? '111111' : '000000';
      await expectResponseError(
        main.client.verifyOtp({ originalPartnerReferenceNo: creationRef, originalReferenceNo: referenceNo, otp: wrong }),
        { kind: 'REJECTED', code: 'DOKU.INVALID_OTP', responseCode: '4040415', outcomeUnknown: false },
      );
    });

    it('Verify OTP: 2000400 with the create-PIN page (qparamsURL + qparams.token) and the customer data', async () => {
      const res = await main.client.verifyOtp({ originalPartnerReferenceNo: creationRef, originalReferenceNo: referenceNo, otp });
      expectSuccess(res, '2000400');
      expect(res.body.originalPartnerReferenceNo).toBe(creationRef);
      expect(res.body.originalReferenceNo).toBe(referenceNo);
      expect(res.body.email).toBe('jane.doe@example.com');
      expect(res.body.phoneNo).toBe(phoneNo);
      expect(res.body.qparamsURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
      const pinToken = res.body.qparams?.token as string;
      expect(pinToken).toEqual(expect.any(String));
      secrets.add(pinToken);

      // The customer creates the PIN on DOKU's page; DOKU redirects with the accountId.
      const back = await submitForm(`${res.body.qparamsURL}?token=${encodeURIComponent(pinToken)}`, { pin: PIN, confirmPin: PIN });
      expect(back.origin + back.pathname).toBe('https://partner.example.com/doku/registered');
      expect(back.searchParams.get('status')).toBe('SUCCESS');
      expect(back.searchParams.get('partnerReferenceNo')).toBe(creationRef);
      accountId = back.searchParams.get('accountId') as string;
      expect(accountId).toMatch(/^\d{10}$/);
    });

    it('Account Binding: 2000700 with linkId, nextAction and publicUserId; the consent page yields an authCode', async () => {
      const bindingRef = ref('BIND');
      const res = await main.client.accountBinding({
        partnerReferenceNo: bindingRef,
        redirectUrl: 'https://partner.example.com/doku/bound',
        successParams: { accountId },
      });
      expectSuccess(res, '2000700');
      expect(res.body.partnerReferenceNo).toBe(bindingRef);
      expect(res.body.linkId).toMatch(/^\S{1,24}$/);
      expect(res.body.userInfo?.publicUserId).toEqual(expect.any(String));
      expect(res.body.nextAction).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/.*\?token=/);
      linkId = res.body.linkId as string;
      secrets.add(new URL(res.body.nextAction as string).searchParams.get('token') ?? undefined);

      const back = await submitForm(res.body.nextAction as string, { pin: PIN, action: 'approve' });
      expect(back.origin + back.pathname).toBe('https://partner.example.com/doku/bound');
      const authCode = back.searchParams.get('authCode') as string;
      expect(authCode).toEqual(expect.any(String));
      secrets.add(authCode);

      const token = await main.client.b2b2cToken({ grantType: 'authorization_code', authCode });
      expectSuccess(token, '2007400');
      secrets.add(token.body.accessToken);
      secrets.add(token.body.refreshToken);
      customerToken = token.body.accessToken as string;
      const balance = await main.client.balanceInquiry(customerToken, { partnerReferenceNo: ref('BAL'), additionalInfo: {} });
      expect(balance.body.accountNo).toBe(accountId);
      expect(balance.body.accountInfos?.[0]?.availableBalance).toEqual(money(0));
    });

    it('Query Account Binding: 2000800 with linkId and an AES-encrypted authCode that buys a customer token', async () => {
      const queryRef = ref('QAB');
      const res = await main.client.queryAccountBinding({ partnerReferenceNo: queryRef, additionalInfo: { accountId } });
      expectSuccess(res, '2000800');
      expect(res.body.partnerReferenceNo).toBe(queryRef);
      expect(res.body.additionalInfo?.linkId).toBe(linkId);
      expect(res.body.additionalInfo?.merchantId).toBe(CLIENT_ID);
      const encrypted = res.body.additionalInfo?.authCode as string;
      expect(encrypted).toMatch(/^[A-Za-z0-9+/]+=*$/);
      secrets.add(encrypted);
      const authCode = decryptAuthCode(encrypted, DEV_DOKU_CREDENTIALS.authCodeKey);
      expect(authCode).not.toBe(encrypted);
      secrets.add(authCode);

      const token = await main.client.b2b2cToken({ grantType: 'authorization_code', authCode });
      expectSuccess(token, '2007400');
      secrets.add(token.body.accessToken);
      secrets.add(token.body.refreshToken);
      customerToken = token.body.accessToken as string;
      const balance = await main.client.balanceInquiry(customerToken, { partnerReferenceNo: ref('BAL') });
      expect(balance.body.accountNo).toBe(accountId);
    });

    it('Account Unbinding: 2000900 "PENDING" + OTP, confirmed through Verify OTP; afterwards the binding and the customer token are gone', async () => {
      const unbindRef = ref('UNB');
      const res = await main.client.accountUnbinding({
        merchantId: CLIENT_ID,
        partnerReferenceNo: unbindRef,
        linkId,
        additionalInfo: { accountId },
      });
      expectSuccess(res, '2000900');
      expect(res.body.partnerReferenceNo).toBe(unbindRef);
      expect(res.body.linkId).toBe(linkId);
      expect(res.body.unlinkResult).toBe('PENDING');
      const unbindReferenceNo = res.body.referenceNo as string;
      expect(unbindReferenceNo).toEqual(expect.stringMatching(/^\S{1,64}$/));

      // DOKU sends an OTP to the wallet's phone; until it is verified the binding stands.
      const sent = sim.control.lastOtp(phoneNo);
      expect(sent).toMatchObject({ purpose: 'ACCOUNT_UNBINDING', referenceNo: unbindReferenceNo, partnerReferenceNo: unbindRef });
      secrets.addShort(sent.otp);
      const stillBound = await main.client.balanceInquiry(customerToken, { partnerReferenceNo: ref('BAL') });
      expect(stillBound.body.accountNo).toBe(accountId);

      const verified = await main.client.verifyOtp({
        originalPartnerReferenceNo: unbindRef,
        originalReferenceNo: unbindReferenceNo,
        otp: sent.otp,
      });
      expectSuccess(verified, '2000400');
      expect(verified.body.originalPartnerReferenceNo).toBe(unbindRef);
      expect(verified.body.originalReferenceNo).toBe(unbindReferenceNo);

      await expectResponseError(main.client.queryAccountBinding({ partnerReferenceNo: ref('QAB'), additionalInfo: { accountId } }), {
        kind: 'REJECTED',
        code: 'DOKU.INVALID_ACCOUNT',
        responseCode: '4040811',
        outcomeUnknown: false,
      });
      await expectResponseError(main.client.balanceInquiry(customerToken, { partnerReferenceNo: ref('BAL') }), {
        kind: 'INVALID_CUSTOMER_TOKEN',
        code: 'DOKU.INVALID_CUSTOMER_TOKEN',
        responseCode: '4011102',
        outcomeUnknown: false,
      });
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('balance and transfer to bank', () => {
    let c: Customer;
    let inquiryReferenceNo: string;
    let sessionId: string | undefined;

    beforeAll(async () => {
      c = await boundCustomer(500_000);
    });

    it('Balance Inquiry: 2001100 with the wallet balance as SNAP money', async () => {
      const balanceRef = ref('BAL');
      const res = await main.client.balanceInquiry(c.customerToken, { partnerReferenceNo: balanceRef, additionalInfo: {} });
      expectSuccess(res, '2001100');
      expect(res.body.partnerReferenceNo).toBe(balanceRef);
      expect(res.body.accountNo).toBe(c.accountId);
      expect(res.body.accountInfos).toHaveLength(1);
      expect(res.body.accountInfos?.[0]).toMatchObject({
        amount: money(500_000),
        availableBalance: money(500_000),
        holdAmount: money(0),
        status: '0001',
      });
    });

    it('Transfer Bank Account Inquiry: 2004200 with the beneficiary name', async () => {
      const inquiryRef = ref('BIQ');
      const res = await main.client.transferBankInquiry({
        partnerReferenceNo: inquiryRef,
        customerNumber: c.phoneNo,
        amount: money(100_000),
        beneficiaryAccountNumber: '8377388292',
        additionalInfo: { bankCode: '014', accountId: c.accountId },
      });
      expectSuccess(res, '2004200');
      expect(res.body).toMatchObject({
        partnerReferenceNo: inquiryRef,
        beneficiaryAccountNumber: '8377388292',
        beneficiaryAccountName: 'FHILEA HERMANUS',
        beneficiaryBankCode: '014',
        amount: money(100_000),
      });
      inquiryReferenceNo = res.body.referenceNo as string;
      expect(inquiryReferenceNo).toEqual(expect.any(String));
      sessionId = res.body.sessionId;
    });

    it('Transfer Bank Account Payment: 2004300; the wallet is debited exactly once', async () => {
      const transferRef = ref('BTR');
      const res = await main.client.transferBankPayment(c.customerToken, {
        partnerReferenceNo: transferRef,
        customerNumber: c.phoneNo,
        accountType: '',
        beneficiaryAccountNumber: '8377388292',
        beneficiaryBankCode: '014',
        amount: money(100_000),
        additionalInfo: { referenceNo: inquiryReferenceNo, accountId: c.accountId },
        ...(sessionId ? { sessionId } : {}),
      });
      expectSuccess(res, '2004300');
      expect(res.body.partnerReferenceNo).toBe(transferRef);
      expect(res.body.referenceNo).toEqual(expect.any(String));
      expect(res.body.transactionDate).toMatch(JAKARTA_TIME);
      expect(res.body.referenceNumber).toEqual(expect.any(String));
      const ledger = sim.control.ledger({ partnerReferenceNo: transferRef });
      expect([ledger.debitCount, ledger.debitTotal, ledger.creditCount]).toEqual([1, '100000.00', 0]);
      expect(account(c.accountId).balance).toBe('400000.00');
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('top up from the corporate balance', () => {
    let c: Customer;
    let sessionId: string;
    const topUpRef = ref('TOP');
    let topUpReferenceNo: string;

    beforeAll(async () => {
      c = await boundCustomer(0);
    });

    it('Account Inquiry Top Up: 2003700 with the customer name, a masked number and a sessionId', async () => {
      const inquiryRef = ref('TUI');
      const res = await main.client.topUpInquiry({
        partnerReferenceNo: inquiryRef,
        customerNumber: c.phoneNo,
        amount: money(50_000),
        additionalInfo: { accountId: c.accountId },
      });
      expectSuccess(res, '2003700');
      expect(res.body.partnerReferenceNo).toBe(inquiryRef);
      expect(res.body.customerName).toEqual(expect.any(String));
      expect(res.body.customerNumber).not.toBe(c.phoneNo);
      expect(res.body.customerNumber?.endsWith(c.phoneNo.slice(-4))).toBe(true);
      expect(res.body.amount).toEqual(money(50_000));
      sessionId = res.body.sessionId as string;
      expect(sessionId).toMatch(/^\S{1,25}$/);
    });

    it('Account Top Up: 2003800; the wallet is credited once and the corporate balance debited', async () => {
      const corporateBefore = sim.control.getPartner(CLIENT_ID).corporateBalance as string;
      const res = await main.client.topUp({
        partnerReferenceNo: topUpRef,
        customerNumber: c.phoneNo,
        amount: money(50_000),
        feeAmount: money(0),
        sessionId,
        additionalInfo: {},
      });
      expectSuccess(res, '2003800');
      expect(res.body.partnerReferenceNo).toBe(topUpRef);
      expect(res.body.amount).toEqual(money(50_000));
      topUpReferenceNo = res.body.referenceNo as string;
      expect(topUpReferenceNo).toEqual(expect.any(String));
      const ledger = sim.control.ledger({ partnerReferenceNo: topUpRef });
      expect([ledger.creditCount, ledger.creditTotal, ledger.debitCount]).toEqual([1, '50000.00', 0]);
      expect(account(c.accountId).balance).toBe('50000.00');
      expect(Number(sim.control.getPartner(CLIENT_ID).corporateBalance)).toBe(Number(corporateBefore) - 50_000);
    });

    it('Query Top Up: 2003900 with latestTransactionStatus "00" and the amount', async () => {
      const res = await main.client.queryTopUp({
        serviceCode: '38',
        originalPartnerReferenceNo: topUpRef,
        originalReferenceNo: topUpReferenceNo,
        additionalInfo: {},
      });
      expectSuccess(res, '2003900');
      expect(res.body).toMatchObject({
        originalPartnerReferenceNo: topUpRef,
        originalReferenceNo: topUpReferenceNo,
        serviceCode: '38',
        latestTransactionStatus: '00',
        amount: money(50_000),
      });
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('auth payment, capture, void', () => {
    let c: Customer;
    const authRef = ref('AUTH');
    let authReferenceNo: string;

    beforeAll(async () => {
      c = await boundCustomer(300_000);
    });

    it('Auth Payment: 2006300 places a hold; available balance drops, ledger balance does not', async () => {
      const res = await main.client.authPayment(c.customerToken, {
        partnerReferenceNo: authRef,
        merchantId: CLIENT_ID,
        amount: money(200_000),
        title: 'Hotel deposit',
        additionalInfo: {},
      });
      expectSuccess(res, '2006300');
      expect(res.body.partnerReferenceNo).toBe(authRef);
      expect(res.body.amount).toEqual(money(200_000));
      expect(res.body.paidTime).toMatch(JAKARTA_TIME);
      authReferenceNo = res.body.referenceNo as string;
      expect(authReferenceNo).toEqual(expect.any(String));
      expect(account(c.accountId)).toMatchObject({ balance: '300000.00', held: '200000.00', available: '100000.00' });
    });

    it('Capture Payment: 2006500 debits the captured part of the hold', async () => {
      const captureRef = ref('CAP');
      const res = await main.client.capturePayment(c.customerToken, {
        originalReferenceNo: authReferenceNo,
        originalPartnerReferenceNo: authRef,
        merchantId: CLIENT_ID,
        partnerCaptureNo: captureRef,
        captureAmount: money(150_000),
        title: 'Hotel stay',
        lastCapture: 'FALSE',
      });
      expectSuccess(res, '2006500');
      expect(res.body).toMatchObject({
        partnerCaptureNo: captureRef,
        captureAmount: money(150_000),
        originalReferenceNo: authReferenceNo,
        originalPartnerReferenceNo: authRef,
      });
      expect(res.body.captureNo).toEqual(expect.any(String));
      const ledger = sim.control.ledger({ partnerReferenceNo: captureRef });
      expect([ledger.debitCount, ledger.debitTotal]).toEqual([1, '150000.00']);
      expect(account(c.accountId)).toMatchObject({ balance: '150000.00', held: '50000.00' });
    });

    it('Void Auth Payment: 2006700 releases the remaining hold', async () => {
      const voidRef = ref('VOID');
      const res = await main.client.voidAuthPayment(c.customerToken, {
        originalReferenceNo: authReferenceNo,
        originalPartnerReferenceNo: authRef,
        merchantId: CLIENT_ID,
        partnerVoidNo: voidRef,
        voidRemainingAmount: 'TRUE',
        reason: 'Checked out early',
      });
      expectSuccess(res, '2006700');
      expect(res.body).toMatchObject({ partnerVoidNo: voidRef, voidAmount: money(50_000), originalReferenceNo: authReferenceNo });
      expect(res.body.voidNo).toEqual(expect.any(String));
      expect(account(c.accountId)).toMatchObject({ balance: '150000.00', held: '0.00', available: '150000.00' });
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('purchase, refund, cancel and history', () => {
    let c: Customer;
    const paidRef = ref('PUR');
    let paidReferenceNo: string;
    const refundRef = ref('RFD');

    const purchase = (partnerReferenceNo: string, amount: number): PurchaseWebRequest => ({
      partnerReferenceNo,
      amount: money(amount),
      urlParams: [{ url: 'https://partner.example.com/doku/pay-return', type: 'PAY_RETURN', isDeeplink: 'N' }],
      additionalInfo: {},
    });

    beforeAll(async () => {
      c = await boundCustomer(400_000);
    });

    it('Purchase Web: 2005400 with the PIN page as webRedirectUrl; the purchase is initiated ("01"), not paid', async () => {
      const res = await main.client.purchaseWeb(c.customerToken, purchase(paidRef, 150_000));
      expectSuccess(res, '2005400');
      expect(res.body.partnerReferenceNo).toBe(paidRef);
      expect(res.body.webRedirectUrl?.startsWith(`${sim.url}/`)).toBe(true);
      paidReferenceNo = res.body.referenceNo as string;
      expect(paidReferenceNo).toEqual(expect.any(String));
      secrets.add(new URL(res.body.webRedirectUrl as string).searchParams.get('token') ?? undefined);
      const status = await main.client.queryPurchase({ serviceCode: '54', originalPartnerReferenceNo: paidRef });
      expect(status.body.latestTransactionStatus).toBe('01');
      expect(sim.control.ledger({ partnerReferenceNo: paidRef }).debitCount).toBe(0);
    });

    it('Query Purchase: 2005500 with "00", the amount and paidTime once the customer entered the PIN', async () => {
      const paid = sim.control.pay({ partnerReferenceNo: paidRef, pin: PIN });
      expect(paid.result).toBe('SUCCESS');
      const res = await main.client.queryPurchase({
        serviceCode: '54',
        originalPartnerReferenceNo: paidRef,
        originalReferenceNo: paidReferenceNo,
        additionalInfo: {},
      });
      expectSuccess(res, '2005500');
      expect(res.body).toMatchObject({
        originalPartnerReferenceNo: paidRef,
        originalReferenceNo: paidReferenceNo,
        latestTransactionStatus: '00',
        originalResponseCode: '2005400',
        transAmount: money(150_000),
        refundHistory: [],
      });
      expect(res.body.paidTime).toMatch(JAKARTA_TIME);
      const ledger = sim.control.ledger({ partnerReferenceNo: paidRef });
      expect([ledger.debitCount, ledger.debitTotal]).toEqual([1, '150000.00']);
    });

    it('Refund Purchase: 2005800 credits the partial refund and shows in the refund history', async () => {
      const res = await main.client.refundPurchase({
        originalPartnerReferenceNo: paidRef,
        originalReferenceNo: paidReferenceNo,
        partnerRefundNo: refundRef,
        refundAmount: money(50_000),
        reason: 'Item out of stock',
        additionalInfo: {},
      });
      expectSuccess(res, '2005800');
      expect(res.body).toMatchObject({
        originalPartnerReferenceNo: paidRef,
        originalReferenceNo: paidReferenceNo,
        partnerRefundNo: refundRef,
        refundAmount: money(50_000),
      });
      expect(res.body.refundNo).toEqual(expect.any(String));
      expect(res.body.refundTime).toMatch(JAKARTA_TIME);
      const ledger = sim.control.ledger({ partnerReferenceNo: refundRef });
      expect([ledger.creditCount, ledger.creditTotal]).toEqual([1, '50000.00']);
      const status = await main.client.queryPurchase({ serviceCode: '54', originalPartnerReferenceNo: paidRef });
      expect(status.body.latestTransactionStatus).toBe('00');
      expect(status.body.refundHistory).toEqual([
        expect.objectContaining({ partnerRefundNo: refundRef, refundAmount: money(50_000), refundStatus: '00' }),
      ]);
    });

    it('Cancel Purchase: 2005700 on an unpaid purchase makes it "05" and moves no money', async () => {
      const cancelRef = ref('PUR');
      const created = await main.client.purchaseWeb(c.customerToken, purchase(cancelRef, 20_000));
      const res = await main.client.cancelPurchase({
        originalPartnerReferenceNo: cancelRef,
        originalReferenceNo: created.body.referenceNo,
        reason: 'Customer cancelled',
        amount: money(20_000),
        additionalInfo: {},
      });
      expectSuccess(res, '2005700');
      expect(res.body.originalPartnerReferenceNo).toBe(cancelRef);
      expect(res.body.originalReferenceNo).toBe(created.body.referenceNo);
      expect(res.body.cancelTime).toMatch(JAKARTA_TIME);
      const status = await main.client.queryPurchase({ serviceCode: '54', originalPartnerReferenceNo: cancelRef });
      expect(status.body.latestTransactionStatus).toBe('05');
      expect(sim.control.ledger({ partnerReferenceNo: cancelRef }).entries).toHaveLength(0);
    });

    it('Transaction History List: 2001200 lists the paid purchase and its refund, newest first', async () => {
      const listRef = ref('HIS');
      const res = await main.client.transactionHistoryList(c.customerToken, {
        partnerReferenceNo: listRef,
        pageSize: 10,
        pageNumber: 0,
        additionalInfo: {},
      });
      expectSuccess(res, '2001200');
      expect(res.body.partnerReferenceNo).toBe(listRef);
      const items = res.body.detailData ?? [];
      const payment = items.find((i) => i.additionalInfo?.partnerReferenceNo === paidRef);
      const refund = items.find((i) => i.additionalInfo?.partnerReferenceNo === refundRef);
      expect(payment).toMatchObject({ type: 'PAYMENT', status: 'SUCCESS', amount: money(150_000) });
      expect(refund).toMatchObject({ type: 'REFUND', status: 'SUCCESS', amount: money(50_000) });
      const times = items.map((i) => Date.parse(i.dateTime as string));
      expect(times).toEqual([...times].sort((a, b) => b - a));
    });

    it('Transaction History Detail: 2001300 for the paid purchase, with the refunded amount', async () => {
      const res = await main.client.transactionHistoryDetail(c.customerToken, { originalPartnerReferenceNo: paidRef, additionalInfo: {} });
      expectSuccess(res, '2001300');
      expect(res.body).toMatchObject({
        referenceNo: paidReferenceNo,
        partnerReferenceNo: paidRef,
        amount: money(150_000),
        refundAmount: money(50_000),
        status: 'SUCCESS',
        type: 'PAYMENT',
      });
      expect(res.body.dateTime).toMatch(JAKARTA_TIME);
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('authentication failures', () => {
    it('a wrong client secret is 401xx00 Invalid Signature, never retried and the token is kept', async () => {
      const bad = harness(contractConfig(sim.url, { clientSecret: 'SK-not-the-registered-secret' }), { tokens: mainTokens });
      secrets.add('SK-not-the-registered-secret');
      const invalidatedBefore = mainTokens.invalidated.length;
      await expectResponseError(
        bad.client.queryAccountBinding({ partnerReferenceNo: ref('QAB'), additionalInfo: { accountId: '1000000000' } }),
        {
          kind: 'INVALID_SIGNATURE',
          code: 'DOKU.INVALID_SIGNATURE',
          responseCode: '4010800',
          outcomeUnknown: false,
        },
      );
      expect(bad.recorder.exchanges).toHaveLength(1);
      expect(bad.recorder.exchanges[0]).toMatchObject({ attempt: 1, httpStatus: 401, outcome: 'INVALID_SIGNATURE' });
      expect(mainTokens.invalidated).toHaveLength(invalidatedBefore);
    });

    it('a money call signed with a wrong secret moves no money', async () => {
      const c = await boundCustomer(100_000);
      const bad = harness(contractConfig(sim.url, { clientSecret: 'SK-not-the-registered-secret' }), { tokens: mainTokens });
      const transferRef = ref('BTR');
      await expectResponseError(
        bad.client.transferBankPayment(c.customerToken, {
          partnerReferenceNo: transferRef,
          customerNumber: c.phoneNo,
          accountType: '',
          beneficiaryAccountNumber: '1234567890',
          beneficiaryBankCode: '014',
          amount: money(10_000),
          additionalInfo: {},
        }),
        { kind: 'INVALID_SIGNATURE', code: 'DOKU.INVALID_SIGNATURE', responseCode: '4014300', outcomeUnknown: false },
      );
      expect(bad.recorder.exchanges).toHaveLength(1);
      expect(sim.control.ledger({ partnerReferenceNo: transferRef }).entries).toHaveLength(0);
    });

    it('an X-TIMESTAMP 10 minutes old is a 401xx00 rejection, on token and transactional calls alike', async () => {
      const tenMinutesAgo = () => new Date(Date.now() - 10 * 60_000);
      const stale = harness(contractConfig(sim.url), { tokens: mainTokens, options: { now: tenMinutesAgo } });
      await expectResponseError(
        stale.client.queryAccountBinding({ partnerReferenceNo: ref('QAB'), additionalInfo: { accountId: '1000000000' } }),
        {
          kind: 'INVALID_SIGNATURE',
          code: 'DOKU.INVALID_SIGNATURE',
          responseCode: '4010800',
          outcomeUnknown: false,
        },
      );
      expect(stale.recorder.exchanges).toHaveLength(1);
      await expectResponseError(stale.client.b2bToken(), {
        kind: 'INVALID_SIGNATURE',
        code: 'DOKU.INVALID_SIGNATURE',
        responseCode: '4017300',
        outcomeUnknown: false,
      });
    });

    describe('invalid B2B token (401xx01): one retry with a new token and a new X-EXTERNAL-ID', () => {
      let c: Customer;

      beforeAll(async () => {
        c = await boundCustomer(0);
      });

      it('a token revoked by DOKU (control API) is replaced and the call succeeds on the second attempt', async () => {
        const old = await mainTokens.getToken();
        expect(sim.control.revokeTokens({ kind: 'b2b' }).revoked).toBeGreaterThanOrEqual(1);
        const fetchesBefore = mainTokens.fetches;
        const mark = main.recorder.exchanges.length;
        const res = await main.client.queryAccountBinding({ partnerReferenceNo: ref('QAB'), additionalInfo: { accountId: c.accountId } });
        expectSuccess(res, '2000800');
        const attempts = main.recorder.since(mark).filter((e) => e.endpoint === 'queryAccountBinding');
        expect(attempts.map((e) => [e.attempt, e.responseCode, e.outcome])).toEqual([
          [1, '4010801', 'INVALID_B2B_TOKEN'],
          [2, '2000800', 'SUCCESS'],
        ]);
        expect(attempts[0].externalId).not.toBe(attempts[1].externalId);
        expect(res.externalId).toBe(attempts[1].externalId);
        expect(mainTokens.invalidated).toContain(old);
        expect(mainTokens.fetches).toBe(fetchesBefore + 1);
        expect(await mainTokens.getToken()).not.toBe(old);
      });

      it('a garbage token handed out once is invalidated, and the retry with a real token succeeds', async () => {
        const scripted = new ScriptedB2bTokenProvider(['garbage-b2b-token'], mainTokens);
        const h = harness(contractConfig(sim.url), { tokens: scripted });
        const res = await h.client.balanceInquiry(c.customerToken, { partnerReferenceNo: ref('BAL') });
        expectSuccess(res, '2001100');
        expect(scripted.invalidated).toEqual(['garbage-b2b-token']);
        expect(scripted.handedOut).toHaveLength(2);
        expect(h.recorder.exchanges.map((e) => [e.attempt, e.responseCode])).toEqual([
          [1, '4011101'],
          [2, '2001100'],
        ]);
        expect(new Set(h.recorder.exchanges.map((e) => e.externalId)).size).toBe(2);
      });

      it('a provider that only has bad tokens ends in DOKU.INVALID_TOKEN after exactly 2 attempts', async () => {
        const scripted = new ScriptedB2bTokenProvider([], undefined);
        const h = harness(contractConfig(sim.url), { tokens: scripted });
        await expectResponseError(
          h.client.queryAccountBinding({ partnerReferenceNo: ref('QAB'), additionalInfo: { accountId: c.accountId } }),
          {
            kind: 'INVALID_B2B_TOKEN',
            code: 'DOKU.INVALID_TOKEN',
            responseCode: '4010801',
            outcomeUnknown: false,
          },
        );
        expect(h.recorder.exchanges.map((e) => e.attempt)).toEqual([1, 2]);
        expect(new Set(h.recorder.exchanges.map((e) => e.externalId)).size).toBe(2);
        expect(scripted.handedOut).toHaveLength(2);
        expect(scripted.invalidated).toHaveLength(1);
      });
    });

    describe('expired customer token (900 s, sliding)', () => {
      let sim2: SimulatorHandle;
      let h: ContractHarness;
      let c: Customer;

      beforeAll(async () => {
        sim2 = await startSimulator({ port: 0, log: false, seed: 'doku-contract-expiry' });
        // The client's clock follows the simulator's, so moving time on does not make X-TIMESTAMP stale.
        h = harness(contractConfig(sim2.url), { options: { now: () => new Date(sim2.control.clock().epochMs) } });
        const phoneNo = phone();
        const created = sim2.control.createAccount({ phoneNo, balance: 10_000, pin: PIN, bindTo: CLIENT_ID });
        secrets.add(created.authCode);
        const token = await h.client.b2b2cToken({ grantType: 'authorization_code', authCode: created.authCode as string });
        secrets.add(token.body.accessToken);
        secrets.add(token.body.refreshToken);
        c = {
          accountId: created.accountId,
          phoneNo,
          customerToken: token.body.accessToken as string,
          refreshToken: token.body.refreshToken as string,
        };
      });

      afterAll(async () => {
        await sim2?.close();
      });

      it('after 901 s idle the customer token is refused with 401xx02; a refresh_token grant restores access', async () => {
        expectSuccess(await h.client.balanceInquiry(c.customerToken, { partnerReferenceNo: ref('BAL') }), '2001100');
        sim2.control.advanceClock(901_000);
        const mark = h.recorder.exchanges.length;
        await expectResponseError(h.client.balanceInquiry(c.customerToken, { partnerReferenceNo: ref('BAL') }), {
          kind: 'INVALID_CUSTOMER_TOKEN',
          code: 'DOKU.INVALID_CUSTOMER_TOKEN',
          responseCode: '4011102',
          outcomeUnknown: false,
        });
        // The B2B token had lapsed too: renewed once (401xx01), then the customer token is what fails.
        expect(h.recorder.since(mark).map((e) => [e.endpoint, e.attempt, e.responseCode])).toEqual([
          ['balanceInquiry', 1, '4011101'],
          ['b2bToken', 1, '2007300'],
          ['balanceInquiry', 2, '4011102'],
        ]);

        const refreshed = await h.client.b2b2cToken({ grantType: 'refresh_token', refreshToken: c.refreshToken });
        secrets.add(refreshed.body.accessToken);
        secrets.add(refreshed.body.refreshToken);
        const res = await h.client.balanceInquiry(refreshed.body.accessToken as string, { partnerReferenceNo: ref('BAL') });
        expectSuccess(res, '2001100');
        expect(res.body.accountInfos?.[0]?.availableBalance).toEqual(money(10_000));
      });
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('idempotency: X-EXTERNAL-ID and partnerReferenceNo', () => {
    let c: Customer;

    beforeAll(async () => {
      c = await boundCustomer(0);
      await mainTokens.getToken();
    });

    const topUp = (partnerReferenceNo: string, amount: number): TopUpRequest => ({
      partnerReferenceNo,
      customerNumber: c.phoneNo,
      amount: money(amount),
      additionalInfo: {},
    });

    it('the same X-EXTERNAL-ID with the same body: the 409 replay is read as the earlier success, applied once', async () => {
      const sameId = `9${Date.now()}1`;
      const h = harness(contractConfig(sim.url), { tokens: mainTokens, externalIds: new QueuedExternalIds([sameId, sameId]) });
      const request = topUp(ref('TOP'), 10_000);
      const first = await h.client.topUp(request);
      expectSuccess(first, '2003800');
      const second = await h.client.topUp(request);
      expect(second.replayed).toBe(true);
      expect(second.httpStatus).toBe(409);
      expect(second.responseCode).toBe('2003800');
      expect(second.externalId).toBe(sameId);
      expect(second.body.referenceNo).toBe(first.body.referenceNo);
      const ledger = sim.control.ledger({ partnerReferenceNo: request.partnerReferenceNo });
      expect([ledger.creditCount, ledger.creditTotal]).toEqual([1, '10000.00']);
    });

    it('the same X-EXTERNAL-ID with another body: 409xx00 conflict, and the second operation is not applied', async () => {
      const sameId = `8${Date.now()}2`;
      const h = harness(contractConfig(sim.url), { tokens: mainTokens, externalIds: new QueuedExternalIds([sameId, sameId]) });
      const firstRequest = topUp(ref('TOP'), 10_000);
      expectSuccess(await h.client.topUp(firstRequest), '2003800');
      const secondRequest = topUp(ref('TOP'), 20_000);
      const error = await expectResponseError(h.client.topUp(secondRequest), {
        kind: 'DUPLICATE_EXTERNAL_ID',
        code: 'DOKU.DUPLICATE_EXTERNAL_ID',
        responseCode: '4093800',
        outcomeUnknown: false,
      });
      expect(error.replayed).toBe(false);
      expect(sim.control.transactions({ partnerReferenceNo: secondRequest.partnerReferenceNo })).toHaveLength(0);
      expect(sim.control.ledger({ partnerReferenceNo: secondRequest.partnerReferenceNo }).entries).toHaveLength(0);
    });

    it('a reused partnerReferenceNo on a money call is DUPLICATE_REFERENCE with outcome unknown, settled by the status query', async () => {
      const request = topUp(ref('TOP'), 15_000);
      const first = await main.client.topUp(request);
      expectSuccess(first, '2003800');
      const error = await expectResponseError(main.client.topUp(request), {
        kind: 'DUPLICATE_REFERENCE',
        code: 'DOKU.DUPLICATE_REFERENCE',
        responseCode: '4093801',
        outcomeUnknown: true,
      });
      expect(error.replayed).toBe(false);
      const status = await main.client.queryTopUp({ serviceCode: '38', originalPartnerReferenceNo: request.partnerReferenceNo });
      expect(status.body.latestTransactionStatus).toBe('00');
      expect(status.body.originalReferenceNo).toBe(first.body.referenceNo);
      expect(sim.control.ledger({ partnerReferenceNo: request.partnerReferenceNo }).creditCount).toBe(1);
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('business rejections', () => {
    it('a missing mandatory field is 400xx02, a plain rejection', async () => {
      const request = {
        partnerReferenceNo: ref('REG'),
        name: 'No Email',
        phoneNo: phone(),
        redirectUrl: 'https://partner.example.com/doku/registered',
      } as unknown as AccountCreationRequest;
      await expectResponseError(main.client.accountCreation(request), {
        kind: 'REJECTED',
        code: 'DOKU.BAD_REQUEST',
        responseCode: '4000602',
        outcomeUnknown: false,
      });
    });

    it('a purchase without an amount is 400xx02 and creates nothing', async () => {
      const c = await boundCustomer(10_000);
      const purchaseRef = ref('PUR');
      const request = { partnerReferenceNo: purchaseRef, additionalInfo: {} } as unknown as PurchaseWebRequest;
      await expectResponseError(main.client.purchaseWeb(c.customerToken, request), {
        kind: 'REJECTED',
        code: 'DOKU.BAD_REQUEST',
        responseCode: expect.stringMatching(/^400(54|05)02$/),
        outcomeUnknown: false,
      });
      expect(sim.control.transactions({ partnerReferenceNo: purchaseRef })).toHaveLength(0);
    });

    it('a purchase above the balance is DOKU.INSUFFICIENT_BALANCE (4035414), a definitive decline', async () => {
      const c = await boundCustomer(10_000);
      const purchaseRef = ref('PUR');
      await expectResponseError(main.client.purchaseWeb(c.customerToken, { partnerReferenceNo: purchaseRef, amount: money(10_001) }), {
        kind: 'REJECTED',
        code: 'DOKU.INSUFFICIENT_BALANCE',
        responseCode: expect.stringMatching(/^403(54|05)14$/),
        outcomeUnknown: false,
      });
      const status = await main.client.queryPurchase({ serviceCode: '54', originalPartnerReferenceNo: purchaseRef });
      expect(status.body.latestTransactionStatus).toBe('06');
      expect(account(c.accountId).balance).toBe('10000.00');
    });

    it('a transfer above the balance is DOKU.INSUFFICIENT_BALANCE (4034314) and debits nothing', async () => {
      const c = await boundCustomer(10_000);
      const transferRef = ref('BTR');
      await expectResponseError(
        main.client.transferBankPayment(c.customerToken, {
          partnerReferenceNo: transferRef,
          customerNumber: c.phoneNo,
          accountType: '',
          beneficiaryAccountNumber: '1234567890',
          beneficiaryBankCode: '014',
          amount: money(20_000),
          additionalInfo: {},
        }),
        { kind: 'REJECTED', code: 'DOKU.INSUFFICIENT_BALANCE', responseCode: '4034314', outcomeUnknown: false },
      );
      expect(sim.control.ledger({ partnerReferenceNo: transferRef }).debitCount).toBe(0);
      expect(account(c.accountId).balance).toBe('10000.00');
    });

    it("a top-up above the partner's corporate balance is 4033814 and credits nothing", async () => {
      const c = await boundCustomer(0);
      const corporateBefore = sim.control.getPartner(CLIENT_ID).corporateBalance as string;
      sim.control.setCorporateBalance(CLIENT_ID, '1000.00');
      const topUpRef = ref('TOP');
      try {
        await expectResponseError(
          main.client.topUp({ partnerReferenceNo: topUpRef, customerNumber: c.phoneNo, amount: money(50_000), additionalInfo: {} }),
          { kind: 'REJECTED', code: 'DOKU.INSUFFICIENT_BALANCE', responseCode: '4033814', outcomeUnknown: false },
        );
      } finally {
        sim.control.setCorporateBalance(CLIENT_ID, corporateBefore);
      }
      expect(sim.control.ledger({ partnerReferenceNo: topUpRef }).creditCount).toBe(0);
      expect(account(c.accountId).balance).toBe('0.00');
      const status = await main.client.queryTopUp({ serviceCode: '38', originalPartnerReferenceNo: topUpRef });
      expect(status.body.latestTransactionStatus).toBe('06');
    });

    it('a refund above what is left to refund is 4045813 (Invalid Amount) and credits nothing', async () => {
      const c = await boundCustomer(100_000);
      const purchaseRef = ref('PUR');
      await main.client.purchaseWeb(c.customerToken, { partnerReferenceNo: purchaseRef, amount: money(60_000) });
      expect(sim.control.pay({ partnerReferenceNo: purchaseRef, pin: PIN }).result).toBe('SUCCESS');
      expectSuccess(
        await main.client.refundPurchase({
          originalPartnerReferenceNo: purchaseRef,
          partnerRefundNo: ref('RFD'),
          refundAmount: money(40_000),
        }),
        '2005800',
      );
      const tooMuchRef = ref('RFD');
      await expectResponseError(
        main.client.refundPurchase({ originalPartnerReferenceNo: purchaseRef, partnerRefundNo: tooMuchRef, refundAmount: money(20_001) }),
        { kind: 'REJECTED', code: 'DOKU.INVALID_AMOUNT', responseCode: expect.stringMatching(/^404(58|07)13$/), outcomeUnknown: false },
      );
      expect(sim.control.ledger({ partnerReferenceNo: tooMuchRef }).entries).toHaveLength(0);
      expect(account(c.accountId).balance).toBe('80000.00');
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('injected faults: outcome unknown', () => {
    afterEach(() => {
      sim.control.clearFaults();
    });

    it('latency beyond timeoutMs is a DokuTimeoutError with outcome unknown; the top-up is applied once and the status query finds it', async () => {
      const c = await boundCustomer(0);
      const slow = harness(contractConfig(sim.url, { timeoutMs: 300 }), { tokens: mainTokens });
      await mainTokens.getToken();
      sim.control.setFaults([{ endpoint: 'topUp', type: 'latency', latencyMs: 1_500, times: 1 }]);
      const topUpRef = ref('TOP');
      const error = await failureOf(
        slow.client.topUp({ partnerReferenceNo: topUpRef, customerNumber: c.phoneNo, amount: money(25_000), additionalInfo: {} }),
      );
      expect(error).toBeInstanceOf(DokuTimeoutError);
      expect((error as DokuTimeoutError).outcomeUnknown).toBe(true);
      expect((error as DokuTimeoutError).code).toBe('DOKU.TIMEOUT');
      expect(slow.recorder.exchanges.map((e) => [e.endpoint, e.outcome, e.httpStatus])).toEqual([['topUp', 'TIMEOUT', undefined]]);

      // DOKU went on and applied it: the status query (not a new reference) settles the outcome.
      await eventually(() => sim.control.ledger({ partnerReferenceNo: topUpRef }).creditCount > 0, 'the delayed top-up');
      const status = await main.client.queryTopUp({ serviceCode: '38', originalPartnerReferenceNo: topUpRef });
      expect(status.body.latestTransactionStatus).toBe('00');
      expect(sim.control.ledger({ partnerReferenceNo: topUpRef }).creditCount).toBe(1);
    });

    it('apply-then-drop: the transfer fails with outcome unknown, yet DOKU applied it exactly once', async () => {
      const c = await boundCustomer(100_000);
      await mainTokens.getToken();
      sim.control.setFaults([{ endpoint: 'transferBankPayment', type: 'drop', times: 1 }]);
      const transferRef = ref('BTR');
      const request = {
        partnerReferenceNo: transferRef,
        customerNumber: c.phoneNo,
        accountType: '',
        beneficiaryAccountNumber: '1122334455',
        beneficiaryBankCode: '008',
        amount: money(30_000),
        additionalInfo: {},
      };
      const error = await failureOf(main.client.transferBankPayment(c.customerToken, request));
      expect(error).toBeInstanceOf(DokuTransportError);
      expect((error as DokuTransportError).outcomeUnknown).toBe(true);
      expect((error as DokuTransportError).code).toBe('DOKU.OUTCOME_UNKNOWN');
      expect((error as DokuTransportError).requestSent).toBe(true);

      const ledger = sim.control.ledger({ partnerReferenceNo: transferRef });
      expect([ledger.debitCount, ledger.debitTotal]).toEqual([1, '30000.00']);
      // A status lookup finds it (history detail, for bank transfers) ...
      const detail = await main.client.transactionHistoryDetail(c.customerToken, { originalPartnerReferenceNo: transferRef });
      expect(detail.body).toMatchObject({ partnerReferenceNo: transferRef, status: 'SUCCESS', amount: money(30_000) });
      // ... and resending the same reference proves it was recorded, without a second debit.
      await expectResponseError(main.client.transferBankPayment(c.customerToken, request), {
        kind: 'DUPLICATE_REFERENCE',
        code: 'DOKU.DUPLICATE_REFERENCE',
        responseCode: '4094301',
        outcomeUnknown: true,
      });
      expect(sim.control.ledger({ partnerReferenceNo: transferRef }).debitCount).toBe(1);
      expect(account(c.accountId).balance).toBe('70000.00');
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('DANA one-time payment (docs/channels.md)', () => {
    const channel = 'EMONEY_DANA_SNAP' as const;
    const device = { deviceId: 'Pixel7a0123', ipAddress: '10.1.2.3' };
    const payment = (partnerReferenceNo: string, amount: number) => ({
      partnerReferenceNo,
      amount: money(amount),
      urlParam: [{ url: 'https://partner.example/v1/callbacks/doku/purchase', type: 'PAY_RETURN' as const, isDeepLink: 'N' as const }],
      validUpTo: '2099-01-01T00:00:00+07:00',
      pointOfInitiation: 'app' as const,
      additionalInfo: { channel, supportDeepLinkCheckoutUrl: false },
    });

    it('payment → approve in DANA → status 00 → partial refund → over-refund declined → status lists the refund', async () => {
      const partnerReferenceNo = ref('DNA');
      const started = await main.client.danaPayment(payment(partnerReferenceNo, 80_000), device);
      expect(started.responseCode).toBe('2000500');
      expectSuccess(started, DOKU_ENDPOINTS.danaPayment.successCode);
      expect(started.body.webRedirectUrl).toContain('/dana/pay?token=');
      const referenceNo = started.body.referenceNo as string;

      const pending = await main.client.danaStatus({
        originalPartnerReferenceNo: partnerReferenceNo,
        serviceCode: '55',
        additionalInfo: { channel },
      });
      expectSuccess(pending, '2005500');
      expect(pending.body.latestTransactionStatus).toBe('01');

      expect(sim.control.danaPay({ partnerReferenceNo, outcome: 'approve' })).toMatchObject({ result: 'SUCCESS' });
      const paid = await main.client.danaStatus({
        originalPartnerReferenceNo: partnerReferenceNo,
        originalReferenceNo: referenceNo,
        originalExternalId: started.externalId,
        serviceCode: '55',
        additionalInfo: { channel },
      });
      expect(paid.body).toMatchObject({ latestTransactionStatus: '00', originalReferenceNo: referenceNo });

      const refundRequest = (partnerRefundNo: string, amount: number) => ({
        originalPartnerReferenceNo: partnerReferenceNo,
        originalReferenceNo: referenceNo,
        originalExternalId: started.externalId,
        partnerRefundNo,
        refundAmount: money(amount),
        reason: 'Request by Customer',
        additionalInfo: { channel },
      });
      const refunded = await main.client.danaRefund(refundRequest(ref('RFD'), 30_000), { deviceId: 'PARTNERBACKEND' });
      expect(refunded.responseCode).toBe('2000700');
      expectSuccess(refunded, DOKU_ENDPOINTS.danaRefund.successCode);
      await expectResponseError(main.client.danaRefund(refundRequest(ref('RFD'), 50_001), { deviceId: 'PARTNERBACKEND' }), {
        kind: 'REJECTED',
        code: 'DOKU.INVALID_AMOUNT',
        responseCode: '4040713',
        outcomeUnknown: false,
      });
      const after = await main.client.danaStatus({
        originalPartnerReferenceNo: partnerReferenceNo,
        serviceCode: '55',
        additionalInfo: { channel },
      });
      expect(after.body.refundHistory).toHaveLength(1);
      expect(sim.control.ledger({ partnerReferenceNo }).debitTotal).toBe('80000.00');
    });

    it('the same reference again is a duplicate (outcome unknown), never a second payment; unknown is not found', async () => {
      const partnerReferenceNo = ref('DNA');
      await main.client.danaPayment(payment(partnerReferenceNo, 1_000), device);
      await expectResponseError(main.client.danaPayment(payment(partnerReferenceNo, 1_000), device), {
        kind: 'DUPLICATE_REFERENCE',
        code: 'DOKU.DUPLICATE_REFERENCE',
        responseCode: '4090501',
        outcomeUnknown: true,
      });
      await expectResponseError(
        main.client.danaStatus({ originalPartnerReferenceNo: ref('DNA'), serviceCode: '55', additionalInfo: { channel } }),
        { kind: 'NOT_FOUND', code: 'DOKU.NOT_FOUND', responseCode: '4045501', outcomeUnknown: false },
      );
    });
  });

  // ---------------------------------------------------------------------------------------------
  describe('exchange records', () => {
    it('every wallet and DANA endpoint of the endpoint map was exercised with a recorded success', () => {
      const succeeded = new Set(registry.all.filter((e) => e.outcome === 'SUCCESS').map((e) => e.endpoint));
      // The KKI card endpoints have their own contract file, test/doku-kki-contract.e2e-spec.ts, with the same check;
      // the DANA endpoints are exercised above.
      const wallet = DOKU_ENDPOINT_NAMES.filter((name) => !name.startsWith('kki'));
      expect(wallet.filter((name) => !succeeded.has(name))).toEqual([]);
      expect(wallet).toHaveLength(26);
    });

    it('no recorded exchange holds the client secret, a token, an OTP, a PIN or an authCode', () => {
      for (const provider of providers) provider.issued.forEach((token) => secrets.add(token));
      expect(registry.all.length).toBeGreaterThan(50);
      expect(secrets.size).toBeGreaterThan(20);
      const leaks = registry.all
        .map((exchange, i) => ({ i, endpoint: exchange.endpoint, leaks: secrets.leaksIn(exchange) }))
        .filter((row) => row.leaks.length > 0);
      expect(leaks).toEqual([]);
      // The secret-bearing fields were recorded, as redacted placeholders.
      const verify = registry.all.find((e) => e.endpoint === 'verifyOtp' && e.outcome === 'SUCCESS');
      expect(verify?.requestBody).toMatchObject({ otp: REDACTED });
      const customerToken = registry.all.find((e) => e.endpoint === 'b2b2cToken' && e.outcome === 'SUCCESS');
      expect(customerToken?.responseBody).toMatchObject({ accessToken: REDACTED, refreshToken: REDACTED });
      expect(customerToken?.requestBody).toMatchObject({ authCode: REDACTED });
      const query = registry.all.find((e) => e.endpoint === 'queryAccountBinding' && e.outcome === 'SUCCESS');
      expect(query?.responseBody).toMatchObject({ additionalInfo: { authCode: REDACTED } });
    });

    it('records each attempt with its endpoint, path, X-EXTERNAL-ID and business reference', () => {
      const transactional = registry.all.filter((e) => e.endpoint !== 'b2bToken' && e.endpoint !== 'b2b2cToken');
      for (const e of transactional) {
        expect(e.externalId).toMatch(/^\d{1,32}$/);
        // The wallet's calls live under /snap-adapter/; each channel's on the path of its endpoint-map row.
        const endpoint = e.endpoint;
        if (endpoint === 'danaPayment' || endpoint === 'danaRefund' || endpoint === 'danaStatus') {
          expect(e.path).toBe(DOKU_ENDPOINTS[endpoint].path);
        } else expect(e.path.startsWith('/snap-adapter/')).toBe(true);
      }
      const tokenCalls = registry.all.filter((e) => e.endpoint === 'b2bToken' || e.endpoint === 'b2b2cToken');
      expect(tokenCalls.every((e) => e.externalId === undefined)).toBe(true);
      const refund = registry.all.find((e) => e.endpoint === 'refundPurchase' && e.outcome === 'SUCCESS');
      expect(refund?.partnerReference).toMatch(/^RFD-/);
    });
  });
});
