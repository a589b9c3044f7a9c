import { Logger } from '@nestjs/common';
import { rupiah } from '../../../common/money/money';
import type { DokuClientConfig } from './doku.client';
import { DokuClient } from './doku.client';
import type { DokuEndpointName } from './doku-endpoints';
import { DOKU_ENDPOINTS } from './doku-endpoints';
import { toSnapMoney } from './doku-mapper';
import { REDACTED } from './doku-redaction';
import { parsePublicKey, symmetricSignature, verifyTokenRequestSignature } from './doku-signature';
import { DokuResponseError, DokuTimeoutError, isOutcomeUnknown } from './doku.errors';
import type { B2bTokenSource, DokuExchange, ExchangeRecorder } from './doku.ports';
import {
  THROWAWAY_B2B_TOKEN,
  THROWAWAY_CLIENT_ID,
  THROWAWAY_CLIENT_SECRET,
  THROWAWAY_PRIVATE_KEY_PEM,
  THROWAWAY_PUBLIC_KEY_PEM,
} from '../testing/doku-test-vectors';
import { InMemoryExternalIdGenerator } from '../testing/in-memory-external-id-generator';
import type { ReceivedRequest } from '../testing/local-http-server';
import { LocalHttpServer } from '../testing/local-http-server';

// 2024-05-21T10:15:30+07:00, the timestamp of the worked examples (docs/doku-integration.md#worked-examples).
const FIXED_NOW = new Date('2024-05-21T03:15:30Z');

/** Hands out tok-1, tok-2, ... and records invalidations, like a shared token cache would. */
class SequenceTokenProvider implements B2bTokenSource {
  readonly invalidated: string[] = [];
  private current: string;
  private issued = 0;

  constructor(first: string) {
    this.current = first;
  }

  getToken(): Promise<string> {
    return Promise.resolve(this.current);
  }

  invalidate(token: string): Promise<void> {
    this.invalidated.push(token);
    this.issued += 1;
    this.current = `renewed-token-${this.issued}`;
    return Promise.resolve();
  }
}

class MemoryRecorder implements ExchangeRecorder {
  readonly exchanges: DokuExchange[] = [];

  record(exchange: DokuExchange): Promise<void> {
    this.exchanges.push(exchange);
    return Promise.resolve();
  }
}

function successFor(req: ReceivedRequest): { responseCode: string } {
  const endpoint = Object.values(DOKU_ENDPOINTS).find((e) => e.path === req.path);
  return { responseCode: endpoint ? endpoint.successCode : '4040000' };
}

describe(DokuClient.name, () => {
  let server: LocalHttpServer;
  let client: DokuClient;
  let tokens: SequenceTokenProvider;
  let recorder: MemoryRecorder;
  let config: DokuClientConfig;

  beforeEach(async () => {
    server = new LocalHttpServer();
    server.handler = (req, res) => LocalHttpServer.json(res, 200, successFor(req));
    const baseUrl = await server.start();
    tokens = new SequenceTokenProvider(THROWAWAY_B2B_TOKEN);
    recorder = new MemoryRecorder();
    config = {
      baseUrl,
      clientId: THROWAWAY_CLIENT_ID,
      clientSecret: THROWAWAY_CLIENT_SECRET,
      privateKeyPem: THROWAWAY_PRIVATE_KEY_PEM,
      timeoutMs: 300,
      connectTimeoutMs: 300,
      maxResponseBytes: 64 * 1024,
      poolConnections: 2,
      pathOverrides: {},
    };
    client = new DokuClient(
      config,
      { tokens, externalIds: new InMemoryExternalIdGenerator(() => FIXED_NOW), recorder },
      { now: () => FIXED_NOW },
    );
  });

  afterEach(async () => {
    await client.close();
    await server.stop();
  });

  const verifyReceived = (req: ReceivedRequest, token: string) =>
    req.headers['x-signature'] ===
    symmetricSignature({
      method: req.method,
      path: req.path,
      accessToken: token,
      body: req.body,
      timestamp: String(req.headers['x-timestamp']),
      clientSecret: THROWAWAY_CLIENT_SECRET,
    });

  describe('signing and headers', () => {
    it('sends the worked Account Creation example with its expected signature', async () => {
      await client.accountCreation({
        partnerReferenceNo: 'f1a69bce-41bc-4abd-8c5c-01910574e404',
        email: 'jane.doe@example.com',
        name: 'Jane Doe',
        phoneNo: '6281234567890',
        redirectUrl: 'https://partner.example.com/doku/registered',
      });
      const [req] = server.requests;
      expect(req.path).toBe('/snap-adapter/b2b/v1.0/registration-account-creation');
      expect(req.body).toBe(
        '{"partnerReferenceNo":"f1a69bce-41bc-4abd-8c5c-01910574e404","email":"jane.doe@example.com","name":"Jane Doe","phoneNo":"6281234567890","redirectUrl":"https://partner.example.com/doku/registered"}',
      );
      expect(req.headers).toMatchObject({
        'content-type': 'application/json',
        authorization: `Bearer ${THROWAWAY_B2B_TOKEN}`,
        'x-timestamp': '2024-05-21T10:15:30+07:00',
        'x-partner-id': THROWAWAY_CLIENT_ID,
        'x-signature': '9mHS33KwoCPaIE7FYcrsXdfAzx+ZYczcMhM6Oh8kGWITMvQjEsNBT87+Bk7fHl0FdmxKMpdncdfGOIbK92Hm2A==',
      });
      expect(req.headers['x-external-id']).toMatch(/^[0-9]{1,32}$/);
      expect(req.headers['authorization-customer']).toBeUndefined();
    });

    it('signs a customer-scoped call with the B2B token and sends the customer token separately', async () => {
      const result = await client.balanceInquiry('customer-b2b2c-token', {
        partnerReferenceNo: 'BAL-20240521-0001',
        additionalInfo: {},
      });
      const [req] = server.requests;
      expect(req.headers['authorization-customer']).toBe('Bearer customer-b2b2c-token');
      expect(req.headers['x-signature']).toBe('ujeCjofMU1yqVvjiR70VCO2JEO0Aa3v2kZOt85uCNxoCKDWcPC6gj3rZfMittEiiDYZHWC31+3L6BZixGyk8YA==');
      expect(result).toMatchObject({ responseCode: '2001100', httpStatus: 200, replayed: false });
      expect(result.externalId).toBe(req.headers['x-external-id']);
    });

    it('signs exactly the bytes it sends, non-ASCII and escapes included', async () => {
      await client.topUp({
        partnerReferenceNo: 'TOP-1',
        customerName: 'Siti Nurhaliza é 😀 "quoted" \\ /',
        amount: toSnapMoney(rupiah(50000)),
        additionalInfo: { note: '</script>' },
      });
      const [req] = server.requests;
      expect(JSON.parse(req.body)).toMatchObject({ amount: { value: '50000.00', currency: 'IDR' } });
      expect(verifyReceived(req, THROWAWAY_B2B_TOKEN)).toBe(true);
    });

    it('refuses a customer-scoped call without a customer token, before sending anything', async () => {
      await expect(client.balanceInquiry('', {})).rejects.toThrow('customer (B2B2C) token');
      await expect(client.balanceInquiry('bad\r\ntoken', {})).rejects.toThrow(RangeError);
      expect(server.requests).toHaveLength(0);
    });

    it('uses configured path overrides for the URL and the signature', async () => {
      await client.close();
      client = new DokuClient(
        { ...config, pathOverrides: { queryPurchase: '/snap-adapter/b2b/v1.0/debit/status-v2' } },
        { tokens, externalIds: new InMemoryExternalIdGenerator(), recorder },
      );
      server.handler = (_req, res) => LocalHttpServer.json(res, 200, { responseCode: '2005500' });
      await client.queryPurchase({ originalPartnerReferenceNo: 'PUR-1', serviceCode: '54' });
      expect(server.requests[0].path).toBe('/snap-adapter/b2b/v1.0/debit/status-v2');
      expect(verifyReceived(server.requests[0], THROWAWAY_B2B_TOKEN)).toBe(true);
    });
  });

  describe('token endpoints', () => {
    it('requests a B2B token with the worked RSA signature and no bearer token', async () => {
      server.handler = (_req, res) =>
        LocalHttpServer.json(res, 200, { responseCode: '2007300', accessToken: 'jwt', tokenType: 'Bearer', expiresIn: 900 });
      const result = await client.b2bToken();
      const [req] = server.requests;
      expect(req.path).toBe('/authorization/v1/access-token/b2b');
      expect(req.body).toBe('{"grantType":"client_credentials"}');
      expect(req.headers).toMatchObject({
        'x-client-key': THROWAWAY_CLIENT_ID,
        'x-timestamp': '2024-05-21T10:15:30+07:00',
        'x-signature':
          'RDufO3UHwi0eRlNfnSy7PI5drvrkhBMkD9OjC/ekqbOTrtzTy3isKgAIFE8LNn7oR6WOLnBN4pY3HD72Ca3a0+CFsd3XnsQvxWaefxT2kFZYTUztg6zyDs0FIh2IkdndgN93kba7SAsosp5cWw9R+yOkndY13FRnU3M9WaL4wpaOuP+jRZ/UpwGZ1i/HHPgezHvK0azIkE6++WQnggZlacTGMpKPcCeJNz8ZDgGpOw0YRsH4Ba/Z0DiFLG+zwV3nZ449jdRKzNxMgbUnIvPGGEff0zuManW7uxCXC/l/S4utmWWYZxluLFSdyTSZAyz1KEJMqjfJiBXmL2lvABhS6A==',
      });
      expect(req.headers.authorization).toBeUndefined();
      expect(req.headers['x-external-id']).toBeUndefined();
      expect(result.body).toMatchObject({ accessToken: 'jwt', expiresIn: 900 });
      expect(recorder.exchanges[0].responseBody).toMatchObject({ accessToken: REDACTED });
    });

    it('exchanges an authCode for a customer token and keeps the authCode out of the record', async () => {
      server.handler = (_req, res) => LocalHttpServer.json(res, 200, { responseCode: '2007400', accessToken: 'cust', refreshToken: 'ref' });
      await client.b2b2cToken({ grantType: 'authorization_code', authCode: 'cfb5de1a-6a40-40e0-8549-0634bcaed8ed' });
      const [req] = server.requests;
      expect(
        verifyTokenRequestSignature(
          THROWAWAY_CLIENT_ID,
          String(req.headers['x-timestamp']),
          String(req.headers['x-signature']),
          parsePublicKey(THROWAWAY_PUBLIC_KEY_PEM),
        ),
      ).toBe(true);
      const recorded = JSON.stringify(recorder.exchanges);
      expect(recorded).not.toContain('cfb5de1a');
      expect(recorded).not.toContain('"cust"');
      expect(recorded).not.toContain('"ref"');
    });

    it('does not retry a rejected token request', async () => {
      server.handler = (_req, res) =>
        LocalHttpServer.json(res, 401, { responseCode: '4017300', responseMessage: 'Unauthorized. Invalid Signature' });
      await expect(client.b2bToken()).rejects.toMatchObject({ kind: 'INVALID_SIGNATURE', code: 'DOKU.INVALID_SIGNATURE' });
      expect(server.requests).toHaveLength(1);
    });
  });

  describe('invalid B2B token', () => {
    it('invalidates the token and retries once with a fresh token, a new external id, same body', async () => {
      server.handler = (req, res) =>
        server.requests.length === 1
          ? LocalHttpServer.json(res, 401, { responseCode: '4014301', responseMessage: 'Invalid Token (B2B)' })
          : LocalHttpServer.json(res, 200, successFor(req));
      const result = await client.transferBankPayment('cust-token', {
        partnerReferenceNo: 'BTR-1',
        customerNumber: '6281234567890',
        accountType: '',
        beneficiaryAccountNumber: '8377388292',
        beneficiaryBankCode: '014',
        amount: toSnapMoney(rupiah(100000)),
        additionalInfo: {},
      });
      const [first, second] = server.requests;
      expect(server.requests).toHaveLength(2);
      expect(tokens.invalidated).toEqual([THROWAWAY_B2B_TOKEN]);
      expect(second.headers.authorization).toBe('Bearer renewed-token-1');
      expect(second.headers['x-external-id']).not.toBe(first.headers['x-external-id']);
      expect(second.body).toBe(first.body);
      expect(verifyReceived(second, 'renewed-token-1')).toBe(true);
      expect(result.externalId).toBe(second.headers['x-external-id']);
      expect(recorder.exchanges.map((e) => [e.attempt, e.outcome])).toEqual([
        [1, 'INVALID_B2B_TOKEN'],
        [2, 'SUCCESS'],
      ]);
    });

    it('gives up after the one retry', async () => {
      server.handler = (_req, res) => LocalHttpServer.json(res, 401, { responseCode: '4010603' });
      const error = await client
        .accountCreation({ partnerReferenceNo: 'p', name: 'n', email: 'e@x.id', phoneNo: '62811', redirectUrl: 'https://x' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DokuResponseError);
      expect(error).toMatchObject({ code: 'DOKU.INVALID_TOKEN', kind: 'INVALID_B2B_TOKEN', outcomeUnknown: false });
      expect(server.requests).toHaveLength(2);
    });

    it('does not retry an invalid signature or an invalid customer token', async () => {
      server.handler = (_req, res) => LocalHttpServer.json(res, 401, { responseCode: '4011102' });
      await expect(client.balanceInquiry('cust', {})).rejects.toMatchObject({ kind: 'INVALID_CUSTOMER_TOKEN' });
      server.handler = (_req, res) => LocalHttpServer.json(res, 401, { responseCode: '4011100' });
      await expect(client.balanceInquiry('cust', {})).rejects.toMatchObject({ kind: 'INVALID_SIGNATURE' });
      expect(server.requests).toHaveLength(2);
      expect(tokens.invalidated).toEqual([]);
    });
  });

  describe('409 answers', () => {
    const refund = () =>
      client.refundPurchase({
        originalPartnerReferenceNo: 'PUR-1',
        partnerRefundNo: 'RFD-1',
        refundAmount: toSnapMoney(rupiah(50000)),
      });

    it("reads HTTP 409 carrying the endpoint's success code as the replayed success", async () => {
      server.handler = (_req, res) =>
        LocalHttpServer.json(res, 409, { responseCode: '2005800', refundNo: 'DK-RFD-1', partnerRefundNo: 'RFD-1' });
      const result = await refund();
      expect(result).toMatchObject({ replayed: true, httpStatus: 409, body: { refundNo: 'DK-RFD-1' } });
      expect(recorder.exchanges[0]).toMatchObject({ replayed: true, outcome: 'SUCCESS' });
    });

    it('reads HTTP 409 carrying a decline as that decline, replayed', async () => {
      server.handler = (_req, res) => LocalHttpServer.json(res, 409, { responseCode: '4045813' });
      await expect(refund()).rejects.toMatchObject({ code: 'DOKU.INVALID_AMOUNT', replayed: true, outcomeUnknown: false });
    });

    it('reports a duplicate reference as "exists, query status" with an unknown outcome', async () => {
      server.handler = (_req, res) => LocalHttpServer.json(res, 409, { responseCode: '4095801' });
      const error = await refund().catch((e: unknown) => e);
      expect(error).toMatchObject({ kind: 'DUPLICATE_REFERENCE', code: 'DOKU.DUPLICATE_REFERENCE', replayed: false });
      expect(isOutcomeUnknown(error)).toBe(true);
    });
  });

  describe('failures', () => {
    const purchase = () => client.purchaseWeb('cust', { partnerReferenceNo: 'PUR-1', amount: toSnapMoney(rupiah(150000)) });

    it('throws a timeout as outcome unknown, records it and does not resend', async () => {
      server.handler = () => undefined;
      const error = await purchase().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DokuTimeoutError);
      expect(isOutcomeUnknown(error)).toBe(true);
      expect(server.requests).toHaveLength(1);
      expect(recorder.exchanges).toEqual([
        expect.objectContaining({ endpoint: 'purchaseWeb', outcome: 'TIMEOUT', partnerReference: 'PUR-1', httpStatus: undefined }),
      ]);
    });

    it('turns a decline into its DOKU.* code without forwarding DOKU wording', async () => {
      server.handler = (_req, res) =>
        LocalHttpServer.json(res, 403, { responseCode: '4035414', responseMessage: 'Insufficient Funds [internal 42]' });
      const error = await purchase().catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'DOKU.INSUFFICIENT_BALANCE',
        status: 422,
        kind: 'REJECTED',
        outcomeUnknown: false,
        upstreamMessage: 'Insufficient Funds [internal 42]',
      });
      const e = error as DokuResponseError;
      expect(e.details).toEqual({ endpoint: 'purchaseWeb', externalId: e.context.externalId, responseCode: '4035414', httpStatus: 403 });
      expect(JSON.stringify(e.details)).not.toContain('internal 42');
    });

    it('treats 202 and 5xx as outcome unknown', async () => {
      server.handler = (_req, res) => LocalHttpServer.json(res, 202, { responseCode: '2025400' });
      await expect(purchase()).rejects.toMatchObject({ kind: 'IN_PROGRESS', outcomeUnknown: true });
      server.handler = (_req, res) => LocalHttpServer.json(res, 504, { responseCode: '5045400' });
      await expect(purchase()).rejects.toMatchObject({ code: 'DOKU.TIMEOUT', kind: 'UNKNOWN', outcomeUnknown: true });
    });

    it('does not follow a redirect and reads it as outcome unknown', async () => {
      server.handler = (req, res) =>
        req.path.startsWith('/snap-adapter')
          ? res.writeHead(302, { Location: '/elsewhere' }).end()
          : LocalHttpServer.json(res, 200, { responseCode: '2005400' });
      await expect(purchase()).rejects.toMatchObject({ kind: 'UNKNOWN', httpStatus: 302, outcomeUnknown: true });
      expect(server.requests.map((r) => r.path)).toEqual(['/snap-adapter/b2b2c/v1.0/debit/payment-host-to-host']);
    });

    it('still returns the answer when the recorder fails', async () => {
      jest.spyOn(recorder, 'record').mockRejectedValue(new Error('database down'));
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      await expect(purchase()).resolves.toMatchObject({ responseCode: '2005400' });
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('database down'));
      warn.mockRestore();
    });

    it('redacts account numbers in recorded bodies', async () => {
      await client.transferBankInquiry({
        partnerReferenceNo: 'BIQ-1',
        customerNumber: '6281234567890',
        amount: toSnapMoney(rupiah(100000)),
        beneficiaryAccountNumber: '8377388292',
        additionalInfo: { accountId: '1140340010' },
      });
      expect(recorder.exchanges[0].requestBody).toMatchObject({
        customerNumber: '*********7890',
        beneficiaryAccountNumber: '******8292',
        additionalInfo: { accountId: '******0010' },
      });
    });

    it('refuses an external id that is not 1 to 32 digits', async () => {
      await client.close();
      client = new DokuClient(config, {
        tokens,
        recorder,
        externalIds: { next: () => Promise.resolve('abc-123') },
      });
      await expect(client.queryTopUp({ serviceCode: '38' })).rejects.toThrow('X-EXTERNAL-ID');
      expect(server.requests).toHaveLength(0);
    });
  });

  it('has one method per endpoint, each posting to its path and accepting its success code', async () => {
    const calls: Record<DokuEndpointName, () => Promise<unknown>> = {
      b2bToken: () => client.b2bToken(),
      b2b2cToken: () => client.b2b2cToken({ grantType: 'refresh_token', refreshToken: 'r' }),
      accountCreation: () =>
        client.accountCreation({ partnerReferenceNo: 'p', name: 'n', email: 'e@x.id', phoneNo: '62811', redirectUrl: 'https://x' }),
      verifyOtp: () => client.verifyOtp({ originalPartnerReferenceNo: 'p', originalReferenceNo: 'r', otp: '123456' }),
      requestOtp: () => client.requestOtp({ journeyId: '1' }),
      accountBinding: () => client.accountBinding({ partnerReferenceNo: 'p', redirectUrl: 'https://x', successParams: { accountId: '1' } }),
      queryAccountBinding: () => client.queryAccountBinding({ partnerReferenceNo: 'p', additionalInfo: { accountId: '1' } }),
      accountUnbinding: () => client.accountUnbinding({ merchantId: 'm' }),
      balanceInquiry: () => client.balanceInquiry('c', {}),
      transferBankInquiry: () =>
        client.transferBankInquiry({
          partnerReferenceNo: 'p',
          customerNumber: '62',
          amount: toSnapMoney(rupiah(1)),
          beneficiaryAccountNumber: '1',
          additionalInfo: {},
        }),
      transferBankPayment: () =>
        client.transferBankPayment('c', {
          partnerReferenceNo: 'p',
          customerNumber: '62',
          accountType: '',
          beneficiaryAccountNumber: '1',
          beneficiaryBankCode: '014',
          amount: toSnapMoney(rupiah(1)),
          additionalInfo: {},
        }),
      topUpInquiry: () => client.topUpInquiry({ amount: toSnapMoney(rupiah(1)) }),
      topUp: () => client.topUp({ partnerReferenceNo: 'p' }),
      queryTopUp: () => client.queryTopUp({ serviceCode: '38' }),
      authPayment: () => client.authPayment('c', { partnerReferenceNo: 'p', merchantId: 'm', amount: toSnapMoney(rupiah(1)), title: 't' }),
      capturePayment: () =>
        client.capturePayment('c', {
          originalReferenceNo: 'r',
          originalPartnerReferenceNo: 'p',
          merchantId: 'm',
          partnerCaptureNo: 'c1',
          title: 't',
        }),
      voidAuthPayment: () =>
        client.voidAuthPayment('c', {
          originalReferenceNo: 'r',
          originalPartnerReferenceNo: 'p',
          merchantId: 'm',
          partnerVoidNo: 'v1',
        }),
      purchaseWeb: () => client.purchaseWeb('c', { partnerReferenceNo: 'p', amount: toSnapMoney(rupiah(1)) }),
      queryPurchase: () => client.queryPurchase({ serviceCode: '54' }),
      cancelPurchase: () => client.cancelPurchase({ originalPartnerReferenceNo: 'p' }),
      refundPurchase: () => client.refundPurchase({ originalPartnerReferenceNo: 'p', partnerRefundNo: 'r' }),
      transactionHistoryList: () => client.transactionHistoryList('c', {}),
      transactionHistoryDetail: () => client.transactionHistoryDetail('c', { originalPartnerReferenceNo: 'p' }),
      kkiPayment: () => client.kkiPayment('c', { partnerReferenceNo: 'p', amount: toSnapMoney(rupiah(1)), additionalInfo: {} }),
      kkiRefund: () =>
        client.kkiRefund({
          originalPartnerReferenceNo: 'p',
          partnerRefundNo: 'r',
          refundAmount: toSnapMoney(rupiah(1)),
          additionalInfo: {},
        }),
      kkiStatus: () => client.kkiStatus({ originalPartnerReferenceNo: 'p', serviceCode: '55', additionalInfo: {} }),
      danaPayment: () =>
        client.danaPayment(
          {
            partnerReferenceNo: 'p',
            amount: toSnapMoney(rupiah(1)),
            urlParam: [],
            validUpTo: 'v',
            pointOfInitiation: 'app',
            additionalInfo: { channel: 'EMONEY_DANA_SNAP', supportDeepLinkCheckoutUrl: false },
          },
          { deviceId: 'd1' },
        ),
      danaRefund: () =>
        client.danaRefund(
          {
            originalPartnerReferenceNo: 'p',
            partnerRefundNo: 'r',
            refundAmount: toSnapMoney(rupiah(1)),
            reason: '',
            additionalInfo: { channel: 'EMONEY_DANA_SNAP' },
          },
          { deviceId: 'd1' },
        ),
      danaStatus: () =>
        client.danaStatus({ originalPartnerReferenceNo: 'p', serviceCode: '55', additionalInfo: { channel: 'EMONEY_DANA_SNAP' } }),
    };
    for (const name of Object.keys(calls) as DokuEndpointName[]) {
      await expect(calls[name]()).resolves.toMatchObject({ responseCode: DOKU_ENDPOINTS[name].successCode });
    }
    expect(server.requests.map((r) => r.path)).toEqual(Object.values(DOKU_ENDPOINTS).map((e) => e.path));
    // Paired by order, not by path: channels may share a path (the KKI card and DANA use DOKU's direct-debit core paths).
    const endpoints = Object.values(DOKU_ENDPOINTS);
    server.requests.forEach((req, i) => {
      expect(req.headers['authorization-customer'] !== undefined).toBe(endpoints[i].customerToken);
    });
  });

  describe('device headers (docs/channels.md#headers)', () => {
    const payment = {
      partnerReferenceNo: 'DNA-1',
      amount: toSnapMoney(rupiah(1000)),
      urlParam: [{ url: 'https://x/r', type: 'PAY_RETURN' as const, isDeepLink: 'N' as const }],
      validUpTo: '2024-05-21T10:30:30+07:00',
      pointOfInitiation: 'app' as const,
      additionalInfo: { channel: 'EMONEY_DANA_SNAP' as const, supportDeepLinkCheckoutUrl: false },
    };

    it('sends X-DEVICE-ID and X-IP-ADDRESS on a DANA payment, outside the signature, with no customer token', async () => {
      await client.danaPayment(payment, { deviceId: 'Pixel7abc123', ipAddress: '10.20.30.40' });
      const [req] = server.requests;
      expect(req.path).toBe('/direct-debit/core/v1/debit/payment-host-to-host');
      expect(req.headers['x-device-id']).toBe('Pixel7abc123');
      expect(req.headers['x-ip-address']).toBe('10.20.30.40');
      expect(req.headers['authorization-customer']).toBeUndefined();
      expect(req.headers['x-signature']).toBe(
        symmetricSignature({
          method: 'POST',
          path: req.path,
          accessToken: THROWAWAY_B2B_TOKEN,
          body: req.body,
          timestamp: req.headers['x-timestamp'] as string,
          clientSecret: THROWAWAY_CLIENT_SECRET,
        }),
      );
    });

    it('leaves X-IP-ADDRESS out when it is not known, and sends neither header on the status query', async () => {
      await client.danaPayment(payment, { deviceId: 'abc' });
      await client.danaStatus({ originalPartnerReferenceNo: 'DNA-1', serviceCode: '55', additionalInfo: { channel: 'EMONEY_DANA_SNAP' } });
      expect(server.requests[0].headers['x-device-id']).toBe('abc');
      expect(server.requests[0].headers).not.toHaveProperty('x-ip-address');
      expect(server.requests[1].headers).not.toHaveProperty('x-device-id');
    });

    it.each([
      [{ deviceId: 'dev-1' }],
      [{ deviceId: '' }],
      [{ deviceId: 'a'.repeat(65) }],
      [{ deviceId: 'abc', ipAddress: '256.1.1.1' }],
      [{ deviceId: 'abc', ipAddress: '::1' }],
      [{ deviceId: 'abc', ipAddress: '1.2.3.4\r\nX-Evil: 1' }],
    ])('refuses %j before anything is sent', async (device) => {
      await expect(client.danaPayment(payment, device)).rejects.toThrow(RangeError);
      expect(server.requests).toHaveLength(0);
    });
  });
});
