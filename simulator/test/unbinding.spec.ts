import type { Harness } from './support/harness';
import { P, readyCustomer, startHarness } from './support/harness';

/**
 * Account Unbinding (docs/doku-integration.md#unbinding): DOKU says the unbinding "must be completed by
 * sending the OTP to Verify OTP" [DOC], so by default it takes two steps (`unbindingOtp: true`);
 * `unbindingOtp: false` keeps the one-step unbinding.
 */
describe('Account Unbinding, two-step with an OTP (default)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.sim.close();
  });

  const otherThan = (otp: string): string => (otp === '000000' ? '111111' : '000000');
  const bindingStatus = (accountId: string): unknown =>
    (h.sim.control.getAccount(accountId).bindings as Array<{ status: string }>)[0]?.status;

  it('answers PENDING and sends an OTP; the binding lives until Verify OTP confirms it (wrong OTP first, then the right one)', async () => {
    const c = await readyCustomer(h, '6281300000001');
    const linkId = (h.sim.control.getAccount(c.accountId).bindings as Array<{ linkId: string }>)[0].linkId;

    // Verify OTP needs the unbinding's partnerReferenceNo: an unbinding without one is refused.
    const noRef = await h.client.call(P.accountUnbinding, { linkId, additionalInfo: { accountId: c.accountId } });
    expect([noRef.status, noRef.body.responseCode]).toEqual([400, '4000902']);

    const unbind = await h.client.call(P.accountUnbinding, {
      partnerReferenceNo: 'UNB-A1',
      linkId,
      merchantId: h.partner.clientId,
      additionalInfo: { accountId: c.accountId },
    });
    expect(unbind.status).toBe(200);
    expect(unbind.body).toMatchObject({
      responseCode: '2000900',
      responseMessage: 'Successful',
      referenceNo: expect.stringMatching(/^\d{22}$/),
      partnerReferenceNo: 'UNB-A1',
      merchantId: h.partner.clientId,
      linkId,
      unlinkResult: 'PENDING',
    });
    const referenceNo = unbind.body.referenceNo as string;
    const sent = h.sim.control.lastOtp(c.phoneNo);
    expect(sent).toMatchObject({
      purpose: 'ACCOUNT_UNBINDING',
      referenceNo,
      partnerReferenceNo: 'UNB-A1',
      otp: expect.stringMatching(/^\d{6}$/),
    });

    // Still bound: the customer token works and Query Account Binding answers.
    expect(bindingStatus(c.accountId)).toBe('ACTIVE');
    expect(
      (await h.client.call(P.balanceInquiry, { partnerReferenceNo: 'BAL-A1' }, { customerToken: c.customerToken })).body.responseCode,
    ).toBe('2001100');
    expect(
      (await h.client.call(P.queryAccountBinding, { partnerReferenceNo: 'QAB-A1', additionalInfo: { accountId: c.accountId } })).body
        .responseCode,
    ).toBe('2000800');

    // Wrong OTP: 4040415, nothing changes.
    const wrong = await h.client.call(P.verifyOtp, {
      originalPartnerReferenceNo: 'UNB-A1',
      originalReferenceNo: referenceNo,
      otp: otherThan(sent.otp),
    });
    expect([wrong.status, wrong.body.responseCode]).toEqual([404, '4040415']);
    expect(bindingStatus(c.accountId)).toBe('ACTIVE');
    expect(
      (await h.client.call(P.balanceInquiry, { partnerReferenceNo: 'BAL-A2' }, { customerToken: c.customerToken })).body.responseCode,
    ).toBe('2001100');

    // References that do not match the unbinding: not found.
    const mismatched = await h.client.call(P.verifyOtp, {
      originalPartnerReferenceNo: 'UNB-OTHER',
      originalReferenceNo: referenceNo,
      otp: sent.otp,
    });
    expect(mismatched.body.responseCode).toBe('4040401');

    // The right OTP completes the unbinding.
    const ok = await h.client.call(P.verifyOtp, { originalPartnerReferenceNo: 'UNB-A1', originalReferenceNo: referenceNo, otp: sent.otp });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      responseCode: '2000400',
      originalPartnerReferenceNo: 'UNB-A1',
      originalReferenceNo: referenceNo,
      phoneNo: c.phoneNo,
      additionalInfo: { linkId, unlinkResult: 'success' },
    });
    expect(bindingStatus(c.accountId)).toBe('UNBOUND');
    expect(
      (await h.client.call(P.balanceInquiry, { partnerReferenceNo: 'BAL-A3' }, { customerToken: c.customerToken })).body.responseCode,
    ).toBe('4011102');
    expect(
      (await h.client.call(P.queryAccountBinding, { partnerReferenceNo: 'QAB-A2', additionalInfo: { accountId: c.accountId } })).body
        .responseCode,
    ).toBe('4040811');

    // Verify OTP again with the right code answers the same; nothing is left to unbind.
    expect(
      (await h.client.call(P.verifyOtp, { originalPartnerReferenceNo: 'UNB-A1', originalReferenceNo: referenceNo, otp: sent.otp })).body
        .responseCode,
    ).toBe('2000400');
    expect(
      (
        await h.client.call(P.verifyOtp, {
          originalPartnerReferenceNo: 'UNB-A1',
          originalReferenceNo: referenceNo,
          otp: otherThan(sent.otp),
        })
      ).body.responseCode,
    ).toBe('4040415');
    expect(
      (await h.client.call(P.accountUnbinding, { partnerReferenceNo: 'UNB-A2', linkId, additionalInfo: { accountId: c.accountId } })).body
        .responseCode,
    ).toBe('4040911');
  });

  it('OTP rules as for Account Creation: blocked after 3 wrong (4030411), expiry (4030412), superseded by a new unbinding, resent by Request OTP', async () => {
    const c = await readyCustomer(h, '6281300000002');
    const call = (partnerReferenceNo: string) =>
      h.client.call(P.accountUnbinding, { partnerReferenceNo, additionalInfo: { accountId: c.accountId } });
    const verify = (partnerReferenceNo: string, referenceNo: string, otp: string) =>
      h.client.call(P.verifyOtp, { originalPartnerReferenceNo: partnerReferenceNo, originalReferenceNo: referenceNo, otp });

    // Blocked: two wrong → 4040415, the third → 4030411, then even the right OTP → 4030411.
    const first = await call('UNB-B1');
    const ref1 = first.body.referenceNo as string;
    const otp1 = h.sim.control.lastOtp(c.phoneNo).otp;
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await verify('UNB-B1', ref1, otherThan(otp1))).body.responseCode);
    expect(codes).toEqual(['4040415', '4040415', '4030411']);
    expect((await verify('UNB-B1', ref1, otp1)).body.responseCode).toBe('4030411');
    expect(bindingStatus(c.accountId)).toBe('ACTIVE');

    // A new unbinding supersedes the blocked one (its reference now answers "expired").
    const second = await call('UNB-B2');
    expect(second.body).toMatchObject({ responseCode: '2000900', unlinkResult: 'PENDING' });
    const ref2 = second.body.referenceNo as string;
    const otp2 = h.sim.control.lastOtp(c.phoneNo);
    expect(otp2.referenceNo).toBe(ref2);
    expect((await verify('UNB-B1', ref1, otp1)).body.responseCode).toBe('4030412');

    // Expiry: 300 s.
    h.clock.advance(301_000);
    await h.client.getB2bToken();
    expect((await verify('UNB-B2', ref2, otp2.otp)).body.responseCode).toBe('4030412');
    expect(bindingStatus(c.accountId)).toBe('ACTIVE');

    // Request OTP resends the unbinding's OTP with a fresh lifetime and attempts.
    const resend = await h.client.call(P.requestOtp, {
      journeyId: '9001',
      originalPartnerReferenceNo: 'UNB-B2',
      originalReferenceNo: ref2,
      otpTrxCode: '09',
    });
    expect(resend.body).toMatchObject({ responseCode: '2008100', referenceNo: ref2 });
    const otp3 = h.sim.control.lastOtp(c.phoneNo);
    expect(otp3).toMatchObject({ purpose: 'REQUEST_OTP', referenceNo: ref2, partnerReferenceNo: 'UNB-B2' });
    expect((await verify('UNB-B2', ref2, otherThan(otp3.otp))).body.responseCode).toBe('4040415');
    expect((await verify('UNB-B2', ref2, otp3.otp)).body.responseCode).toBe('2000400');
    expect(bindingStatus(c.accountId)).toBe('UNBOUND');
    expect(
      (await h.client.call(P.balanceInquiry, { partnerReferenceNo: 'BAL-B1' }, { customerToken: c.customerToken })).body.responseCode,
    ).toBe('4011102');

    // Once confirmed, Request OTP has nothing to resend.
    expect(
      (await h.client.call(P.requestOtp, { journeyId: '9002', originalPartnerReferenceNo: 'UNB-B2', originalReferenceNo: ref2 })).body
        .responseCode,
    ).toBe('4048100');
  });

  it("another partner's Verify OTP cannot confirm the unbinding", async () => {
    const c = await readyCustomer(h, '6281300000003');
    const unbind = await h.client.call(P.accountUnbinding, { partnerReferenceNo: 'UNB-C1', additionalInfo: { accountId: c.accountId } });
    const otp = h.sim.control.lastOtp(c.phoneNo).otp;
    const stranger = await startHarness();
    try {
      const res = await stranger.client.call(P.verifyOtp, {
        originalPartnerReferenceNo: 'UNB-C1',
        originalReferenceNo: unbind.body.referenceNo,
        otp,
      });
      expect(res.body.responseCode).toBe('4040401');
    } finally {
      await stranger.sim.close();
    }
    expect(bindingStatus(c.accountId)).toBe('ACTIVE');
  });
});

describe('Account Unbinding, one step (unbindingOtp: false)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ unbindingOtp: false });
  });
  afterAll(async () => {
    await h.sim.close();
  });

  it('answers "success" at once: no OTP, tokens revoked, the binding query fails', async () => {
    const c = await readyCustomer(h, '6281300000011');
    const linkId = (h.sim.control.getAccount(c.accountId).bindings as Array<{ linkId: string }>)[0].linkId;
    const unbind = await h.client.call(P.accountUnbinding, {
      partnerReferenceNo: 'UNB-D1',
      linkId,
      additionalInfo: { accountId: c.accountId },
    });
    expect(unbind.body).toMatchObject({ responseCode: '2000900', partnerReferenceNo: 'UNB-D1', linkId, unlinkResult: 'success' });
    expect(() => h.sim.control.lastOtp(c.phoneNo)).toThrow('no OTP was sent to this phone');
    expect((h.sim.control.getAccount(c.accountId).bindings as Array<{ status: string }>)[0].status).toBe('UNBOUND');
    expect(
      (await h.client.call(P.balanceInquiry, { partnerReferenceNo: 'BAL-D1' }, { customerToken: c.customerToken })).body.responseCode,
    ).toBe('4011102');
    expect(
      (await h.client.call(P.queryAccountBinding, { partnerReferenceNo: 'QAB-D1', additionalInfo: { accountId: c.accountId } })).body
        .responseCode,
    ).toBe('4040811');
    // Verify OTP knows no unbinding here.
    expect(
      (
        await h.client.call(P.verifyOtp, {
          originalPartnerReferenceNo: 'UNB-D1',
          originalReferenceNo: unbind.body.referenceNo,
          otp: '123456',
        })
      ).body.responseCode,
    ).toBe('4040401');

    // partnerReferenceNo stays optional in this mode.
    const c2 = await readyCustomer(h, '6281300000012');
    const bare = await h.client.call(P.accountUnbinding, { additionalInfo: { accountId: c2.accountId } });
    expect(bare.body).toMatchObject({ responseCode: '2000900', partnerReferenceNo: '', unlinkResult: 'success' });
  });
});
