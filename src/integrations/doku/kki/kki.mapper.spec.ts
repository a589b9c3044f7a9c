import { rupiah } from '../../../common/money/money';
import { DOKU_ENDPOINTS } from '../snap/doku-endpoints';
import { symmetricSignature } from '../snap/doku-signature';
import type { ExternalIdBlock } from '../snap/external-id.repository';
import type { ExternalIdRepository } from '../snap/external-id.repository';
import { formatKkiRefundNo, KkiRefundNumbers } from './kki-refund-number';
import type { KkiCardPayment } from './kki.mapper';
import {
  KKI_REFUND_NO,
  newKkiPartnerReference,
  toKkiPaymentRequest,
  toKkiPaymentStarted,
  toKkiPaymentStatus,
  toKkiRefundRequest,
  toKkiStatusRequest,
} from './kki.mapper';

const REF = 'Ra7o1bLJAh2oV9eb33129stQc5xFm5s7';

describe('KKI card mapper', () => {
  describe('payment request, byte for byte', () => {
    it('with DOKU card token and OTP', () => {
      const body = toKkiPaymentRequest({
        partnerReferenceNo: REF,
        amount: rupiah(150_000),
        card: { bankCardToken: 'de52e5820f4c381db88a1cf91d57b73e' },
        otp: '12345678',
      });
      expect(JSON.stringify(body)).toBe(
        '{"partnerReferenceNo":"Ra7o1bLJAh2oV9eb33129stQc5xFm5s7","amount":{"value":"150000.00","currency":"IDR"},' +
          '"additionalInfo":{},"bankCardToken":"de52e5820f4c381db88a1cf91d57b73e","otp":"12345678"}',
      );
    });

    it('with the CPAN and a channel name, without OTP', () => {
      const body = toKkiPaymentRequest({
        partnerReferenceNo: REF,
        amount: rupiah(10_000),
        card: { cpan: '9360001609987000000' },
        channel: 'KKI',
      });
      expect(JSON.stringify(body)).toBe(
        '{"partnerReferenceNo":"Ra7o1bLJAh2oV9eb33129stQc5xFm5s7","amount":{"value":"10000.00","currency":"IDR"},' +
          '"additionalInfo":{"channel":"KKI","cpan":"9360001609987000000"}}',
      );
    });

    it.each<[string, Partial<KkiCardPayment>, string]>([
      ['a reference of 31 characters', { partnerReferenceNo: REF.slice(1) }, 'partnerReferenceNo'],
      ['a reference with a dash', { partnerReferenceNo: `${REF.slice(1)}-` }, 'partnerReferenceNo'],
      ['a 6-digit OTP', { otp: '123456' }, 'OTP'],
      ['an OTP with a letter', { otp: '1234567a' }, 'OTP'],
      ['a CPAN with letters', { card: { cpan: '93600016099870000AB' } }, 'CPAN'],
      ['a CPAN of 21 digits', { card: { cpan: '936000160998700000001' } }, 'CPAN'],
      ['a card token of 65 characters', { card: { bankCardToken: 'x'.repeat(65) } }, 'token'],
    ])('refuses %s before anything is sent', (_what, change, message) => {
      expect(() =>
        toKkiPaymentRequest({
          partnerReferenceNo: REF,
          amount: rupiah(1),
          card: { bankCardToken: 't' },
          otp: '12345678',
          ...change,
        }),
      ).toThrow(message);
    });

    it('makes 32-character alphanumeric references, each new', () => {
      const refs = new Set(Array.from({ length: 1000 }, () => newKkiPartnerReference()));
      expect(refs.size).toBe(1000);
      for (const r of refs) expect(r).toMatch(/^[A-Za-z0-9]{32}$/);
    });
  });

  describe('answers', () => {
    it('reads an authorised payment and one that waits for the customer in the issuer app', () => {
      expect(toKkiPaymentStarted({ responseCode: '2005400', responseMessage: 'Successful', referenceNo: 'REF-DOKU-0001' })).toEqual({
        referenceNo: 'REF-DOKU-0001',
        webRedirectUrl: null,
      });
      expect(
        toKkiPaymentStarted({
          responseCode: '2005400',
          responseMessage: 'Successful',
          webRedirectUrl: 'https://issuer.example/confirm?t=1',
        }),
      ).toEqual({ referenceNo: null, webRedirectUrl: 'https://issuer.example/confirm?t=1' });
    });

    it('reads the status with its refunds under either name of the refund reference', () => {
      const status = toKkiPaymentStatus({
        responseCode: '2005500',
        responseMessage: 'Successful',
        originalReferenceNo: 'REF-DOKU-0001',
        latestTransactionStatus: '00',
        transAmount: { value: '150000.00', currency: 'IDR' },
        refundHistory: [
          { partnerRefundNo: 'K00000000001', refundNo: 'D1', refundAmount: { value: '50000.00', currency: 'IDR' }, refundStatus: '00' },
          { partnerReferenceNo: 'K00000000002', refundAmount: { value: '1.00', currency: 'IDR' }, refundStatus: '06' },
        ],
      });
      expect(status).toMatchObject({
        status: 'SUCCESS',
        referenceNo: 'REF-DOKU-0001',
        amount: rupiah(150_000),
      });
      expect(status.refunds).toEqual([
        { partnerRefundNo: 'K00000000001', refundNo: 'D1', amount: rupiah(50_000), status: 'SUCCESS' },
        { partnerRefundNo: 'K00000000002', refundNo: undefined, amount: rupiah(1), status: 'FAILED' },
      ]);
    });

    it('never reads an unknown status as paid', () => {
      const status = toKkiPaymentStatus({ responseCode: '2005500', responseMessage: 'Successful', latestTransactionStatus: '99' });
      expect(status.status).toBe('PENDING');
    });
  });

  describe('refund and status requests, byte for byte', () => {
    it('a partial refund naming the payment by every reference we have', () => {
      const body = toKkiRefundRequest({
        purchase: { partnerReferenceNo: REF, referenceNo: 'REF-DOKU-0001', externalId: '2024071100000000000000001' },
        partnerRefundNo: 'K0000000001Z',
        amount: rupiah(50_000),
        reason: 'Request by Customer',
      });
      expect(JSON.stringify(body)).toBe(
        '{"originalPartnerReferenceNo":"Ra7o1bLJAh2oV9eb33129stQc5xFm5s7","originalReferenceNo":"REF-DOKU-0001",' +
          '"originalExternalId":"2024071100000000000000001","partnerRefundNo":"K0000000001Z",' +
          '"refundAmount":{"value":"50000.00","currency":"IDR"},"additionalInfo":{},"reason":"Request by Customer"}',
      );
    });

    it('refuses a refund reference longer than 12 characters', () => {
      expect(() =>
        toKkiRefundRequest({
          purchase: { partnerReferenceNo: REF },
          partnerRefundNo: 'K000000000001',
          amount: rupiah(1),
          reason: 'Request by Customer',
        }),
      ).toThrow('partnerRefundNo');
    });

    it('asks for the status with service code 55', () => {
      expect(JSON.stringify(toKkiStatusRequest({ partnerReferenceNo: REF, referenceNo: null, externalId: '7' }))).toBe(
        '{"originalPartnerReferenceNo":"Ra7o1bLJAh2oV9eb33129stQc5xFm5s7","originalExternalId":"7","serviceCode":"55","additionalInfo":{}}',
      );
    });
  });

  describe('signature on the direct-debit core refund path', () => {
    // A known-answer vector for this path (SNAP symmetric HMAC-SHA512), computed independently
    // twice with throwaway values; the KKI page itself publishes none.
    it('matches the known answer', () => {
      const body =
        '{"originalPartnerReferenceNo":"INV-0001","originalExternalId":"418075533589","partnerRefundNo":"INV-REF-0001",' +
        '"refundAmount":{"value":"10000.00","currency":"IDR"},"reason":"Request by Customer","additionalInfo":{"channel":"EMONEY_DANA_SNAP"}}';
      expect(
        symmetricSignature({
          method: 'POST',
          path: DOKU_ENDPOINTS.kkiRefund.path,
          accessToken: 'eyJhbGciOiJSUzI1NiJ9.example.b2b-token',
          body,
          timestamp: '2024-07-11T09:00:00+07:00',
          clientSecret: 'SK-ThrowawayExampleSecret01',
        }),
      ).toBe('b5p5GrtC/gcbHMegIn+FCkJADLcq2Hcx3wQ5lJE6wn5k+rCLj2VimJFcM1m9vCk5fx8Mw223wNNYNKVo6cXOuw==');
    });
  });

  describe('refund references of at most 12 characters', () => {
    it('formats every value as K plus 11 base-36 digits', () => {
      expect(formatKkiRefundNo(0n)).toBe('K00000000000');
      expect(formatKkiRefundNo(35n)).toBe('K0000000000Z');
      expect(formatKkiRefundNo(36n)).toBe('K00000000010');
      expect(formatKkiRefundNo(36n ** 11n - 1n)).toBe('KZZZZZZZZZZZ');
      expect(() => formatKkiRefundNo(36n ** 11n)).toThrow(RangeError);
      expect(() => formatKkiRefundNo(-1n)).toThrow(RangeError);
    });

    it('gives distinct values distinct references that fit the refund field', () => {
      const seen = new Set<string>();
      for (let v = 1_000_000n; v < 1_010_000n; v++) seen.add(formatKkiRefundNo(v));
      expect(seen.size).toBe(10_000);
      expect([...seen].filter((r) => !KKI_REFUND_NO.test(r))).toEqual([]);
    });

    it('takes values from reserved sequence blocks, once each, also when callers race', async () => {
      const blocks: ExternalIdBlock[] = [
        { first: 1n, size: 3 },
        { first: 101n, size: 3 },
        { first: 201n, size: 3 },
      ];
      let reserved = 0;
      const repository = {
        reserveBlock: () => new Promise<ExternalIdBlock>((resolve) => setTimeout(() => resolve(blocks[reserved++]), 5)),
      } as unknown as ExternalIdRepository;
      const numbers = new KkiRefundNumbers(repository);
      const refs = await Promise.all(Array.from({ length: 7 }, () => numbers.next()));
      expect(new Set(refs).size).toBe(7);
      expect([...refs].sort()).toEqual([1n, 2n, 3n, 101n, 102n, 103n, 201n].map(formatKkiRefundNo).sort());
    });
  });
});
