import type { Harness } from './support/harness';
import { formOf, getPage, P, postForm, startHarness } from './support/harness';
import { aesEcbDecrypt } from './support/signing';

describe('onboarding through the customer pages', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.sim.close();
  });

  const phoneNo = '6281234567890';
  const registered = 'https://partner.example.com/doku/registered?flow=1';
  const bound = 'https://partner.example.com/doku/bound';

  it('account creation → OTP → verify → create PIN → binding → consent → authCode → B2B2C token → balance', async () => {
    // 1. Account Creation
    const created = await h.client.call(P.accountCreation, {
      partnerReferenceNo: 'REG-1',
      email: 'jane@example.com',
      name: 'Jane Doe',
      phoneNo,
      redirectUrl: registered,
    });
    expect(created.status).toBe(200);
    expect(created.body).toEqual({
      responseCode: '2000600',
      responseMessage: 'Successful',
      referenceNo: expect.stringMatching(/^\d{22}$/),
      partnerReferenceNo: 'REG-1',
    });

    // 2. The OTP "sent" to the phone
    const otp = h.sim.control.lastOtp(phoneNo).otp;
    expect(otp).toMatch(/^\d{6}$/);

    // A wrong OTP first: 4040415, and the right one still works afterwards.
    const wrong = await h.client.call(P.verifyOtp, {
      originalPartnerReferenceNo: 'REG-1',
      originalReferenceNo: created.body.referenceNo,
      otp: otp === '000000' ? '111111' : '000000',
    });
    expect(wrong.status).toBe(404);
    expect(wrong.body.responseCode).toBe('4040415');

    // 3. Verify OTP
    const verified = await h.client.call(P.verifyOtp, {
      originalPartnerReferenceNo: 'REG-1',
      originalReferenceNo: created.body.referenceNo,
      otp,
      additionalInfo: { k: 'v' },
    });
    expect(verified.body).toMatchObject({
      responseCode: '2000400',
      originalPartnerReferenceNo: 'REG-1',
      originalReferenceNo: created.body.referenceNo,
      phoneNo,
      email: 'jane@example.com',
      sendOtpFlag: 'YES',
      additionalInfo: { k: 'v' },
    });
    const qparams = verified.body.qparams as { token: string };
    const pinUrl = `${verified.body.qparamsURL as string}?token=${encodeURIComponent(qparams.token)}`;

    // 4. Create-PIN page: GET the form, POST it (mismatch first).
    const pinPage = await getPage(pinUrl);
    expect(pinPage.status).toBe(200);
    expect(pinPage.html).toContain('Create your DOKU PIN');
    const form = formOf(pinPage.html);
    const mismatch = await postForm(pinUrl, form.action, { token: form.token, pin: '135790', confirmPin: '135791' });
    expect(mismatch.status).toBe(400);
    expect(mismatch.html).toContain('The two PINs differ');
    const done = await postForm(pinUrl, form.action, { token: form.token, pin: '135790', confirmPin: '135790' });
    expect(done.status).toBe(302);
    const back = new URL(done.location!);
    expect(`${back.origin}${back.pathname}`).toBe('https://partner.example.com/doku/registered');
    expect(back.searchParams.get('flow')).toBe('1');
    expect(back.searchParams.get('partnerReferenceNo')).toBe('REG-1');
    expect(back.searchParams.get('status')).toBe('SUCCESS');
    const accountId = back.searchParams.get('accountId')!;
    expect(accountId).toMatch(/^\d{10}$/);
    // The PIN link is one-time.
    expect((await getPage(pinUrl)).status).toBe(404);

    // 6. Account Binding
    const binding = await h.client.call(P.accountBinding, {
      partnerReferenceNo: 'BIND-1',
      redirectUrl: bound,
      successParams: { accountId },
    });
    expect(binding.body).toMatchObject({
      responseCode: '2000700',
      partnerReferenceNo: 'BIND-1',
      redirectUrl: bound,
      userInfo: { publicUserId: expect.any(String) },
    });
    expect(binding.body.linkId).toMatch(/^[a-z0-9]{24}$/);

    // 7. Consent page: wrong PIN, then the right one → redirect with authCode.
    const nextAction = binding.body.nextAction as string;
    const consent = await getPage(nextAction);
    expect(consent.status).toBe(200);
    const cform = formOf(consent.html);
    const wrongPin = await postForm(nextAction, cform.action, { token: cform.token, pin: '000000', action: 'approve' });
    expect(wrongPin.status).toBe(401);
    expect(wrongPin.html).toContain('Wrong PIN. 2 attempt(s) left.');
    const approved = await postForm(nextAction, cform.action, { token: cform.token, pin: '135790', action: 'approve' });
    expect(approved.status).toBe(302);
    const authCode = new URL(approved.location!).searchParams.get('authCode')!;
    expect(authCode.length).toBeGreaterThan(10);

    // 8. B2B2C token
    const tokenRes = await h.client.customerToken(authCode);
    expect(tokenRes.status).toBe(200);
    expect(tokenRes.body).toMatchObject({ responseCode: '2007400', tokenType: 'Bearer', additionalInfo: '' });
    expect(tokenRes.body.accessTokenExpiryTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+07:00$/);
    expect(tokenRes.body.refreshTokenExpiryTime).toMatch(/\+07:00$/);
    const payload = JSON.parse(Buffer.from((tokenRes.body.accessToken as string).split('.')[1], 'base64url').toString());
    expect(JSON.parse(payload.additionalData)).toEqual({ accountId });
    // The access expiry is absolute: now + 900 s.
    expect(Date.parse(tokenRes.body.accessTokenExpiryTime as string)).toBe(Math.floor(h.clock.now() / 1000) * 1000 + 900_000);
    // The authCode is one-time.
    const reused = await h.client.customerToken(authCode);
    expect(reused.status).toBe(404);
    expect(reused.body.responseCode).toBe('4047401');

    // Balance Inquiry with the customer token.
    const balance = await h.client.call(
      P.balanceInquiry,
      { partnerReferenceNo: 'BAL-1', additionalInfo: {} },
      { customerToken: tokenRes.body.accessToken as string },
    );
    expect(balance.body).toMatchObject({
      responseCode: '2001100',
      accountNo: accountId,
      name: 'Jane Doe',
      accountInfos: [
        {
          balanceType: 'Cash',
          amount: { value: '0.00', currency: 'IDR' },
          availableBalance: { value: '0.00', currency: 'IDR' },
          status: '0001',
        },
      ],
    });

    // B. Query Account Binding → decrypt authCode → token; refresh_token grant also works.
    const query = await h.client.call(P.queryAccountBinding, { partnerReferenceNo: 'QAB-1', additionalInfo: { accountId } });
    expect(query.body).toMatchObject({
      responseCode: '2000800',
      partnerReferenceNo: 'QAB-1',
      additionalInfo: { linkId: binding.body.linkId, remarks: '', merchantId: h.partner.clientId },
    });
    const plain = aesEcbDecrypt(h.partner.authCodeKey, (query.body.additionalInfo as { authCode: string }).authCode);
    const second = await h.client.customerToken(plain);
    expect(second.body.responseCode).toBe('2007400');
    // The newer customer token replaced the first one (latest wins).
    const stale = await h.client.call(
      P.balanceInquiry,
      { partnerReferenceNo: 'BAL-2' },
      { customerToken: tokenRes.body.accessToken as string },
    );
    expect(stale.body.responseCode).toBe('4011102');
    const refreshed = await h.client.tokenRequest('b2b2c', { grantType: 'refresh_token', refreshToken: second.body.refreshToken });
    expect(refreshed.body.responseCode).toBe('2007400');

    // Unbinding (two-step): an OTP to the phone, confirmed through Verify OTP; then the customer
    // tokens are revoked and the binding query fails.
    const unbind = await h.client.call(P.accountUnbinding, {
      partnerReferenceNo: 'UNB-1',
      linkId: binding.body.linkId,
      additionalInfo: { accountId },
    });
    expect(unbind.body).toMatchObject({
      responseCode: '2000900',
      partnerReferenceNo: 'UNB-1',
      linkId: binding.body.linkId,
      unlinkResult: 'PENDING',
    });
    const unbindOtp = h.sim.control.lastOtp(phoneNo);
    expect(unbindOtp).toMatchObject({ purpose: 'ACCOUNT_UNBINDING', partnerReferenceNo: 'UNB-1', referenceNo: unbind.body.referenceNo });
    const confirmed = await h.client.call(P.verifyOtp, {
      originalPartnerReferenceNo: 'UNB-1',
      originalReferenceNo: unbind.body.referenceNo,
      otp: unbindOtp.otp,
    });
    expect(confirmed.body).toMatchObject({
      responseCode: '2000400',
      additionalInfo: { linkId: binding.body.linkId, unlinkResult: 'success' },
    });
    const after = await h.client.call(
      P.balanceInquiry,
      { partnerReferenceNo: 'BAL-3' },
      { customerToken: refreshed.body.accessToken as string },
    );
    expect(after.body.responseCode).toBe('4011102');
    const gone = await h.client.call(P.queryAccountBinding, { partnerReferenceNo: 'QAB-2', additionalInfo: { accountId } });
    expect(gone.body.responseCode).toBe('4040811');
  });

  it('OTP rules: attempt limit (4030411), expiry (4030412), resend via Request OTP and via a new Account Creation', async () => {
    const phone = '6281200000077';
    const c1 = await h.client.call(P.accountCreation, {
      partnerReferenceNo: 'OTP-1',
      email: 'a@example.com',
      name: 'Budi',
      phoneNo: phone,
      redirectUrl: registered,
    });
    const ref = c1.body.referenceNo as string;
    const otp1 = h.sim.control.lastOtp(phone).otp;
    const bad = otp1 === '999999' ? '888888' : '999999';
    expect(
      (await h.client.call(P.verifyOtp, { originalPartnerReferenceNo: 'OTP-1', originalReferenceNo: ref, otp: bad })).body.responseCode,
    ).toBe('4040415');
    expect(
      (await h.client.call(P.verifyOtp, { originalPartnerReferenceNo: 'OTP-1', originalReferenceNo: ref, otp: bad })).body.responseCode,
    ).toBe('4040415');
    expect(
      (await h.client.call(P.verifyOtp, { originalPartnerReferenceNo: 'OTP-1', originalReferenceNo: ref, otp: bad })).body.responseCode,
    ).toBe('4030411');
    expect(
      (await h.client.call(P.verifyOtp, { originalPartnerReferenceNo: 'OTP-1', originalReferenceNo: ref, otp: otp1 })).body.responseCode,
    ).toBe('4030411');

    // Request OTP resets the attempts and sends a new code.
    const resend = await h.client.call(P.requestOtp, {
      journeyId: '123',
      originalPartnerReferenceNo: 'OTP-1',
      originalReferenceNo: ref,
      otpTrxCode: '06',
    });
    expect(resend.body).toMatchObject({ responseCode: '2008100', referenceNo: ref });
    expect(resend.body.chargeToken).toHaveLength(40);
    const otp2 = h.sim.control.lastOtp(phone);
    expect(otp2.purpose).toBe('REQUEST_OTP');

    // Expiry: 300 s.
    h.clock.advance(301_000);
    await h.client.getB2bToken();
    expect(
      (await h.client.call(P.verifyOtp, { originalPartnerReferenceNo: 'OTP-1', originalReferenceNo: ref, otp: otp2.otp })).body
        .responseCode,
    ).toBe('4030412');

    // A new Account Creation for the same phone supersedes the old attempt.
    const c2 = await h.client.call(P.accountCreation, {
      partnerReferenceNo: 'OTP-2',
      email: 'a@example.com',
      name: 'Budi',
      phoneNo: phone,
      redirectUrl: registered,
    });
    const otp3 = h.sim.control.lastOtp(phone);
    expect(otp3.partnerReferenceNo).toBe('OTP-2');
    const ok = await h.client.call(P.verifyOtp, {
      originalPartnerReferenceNo: 'OTP-2',
      originalReferenceNo: c2.body.referenceNo,
      otp: otp3.otp,
    });
    expect(ok.body.responseCode).toBe('2000400');
    const unknown = await h.client.call(P.verifyOtp, { originalPartnerReferenceNo: 'OTP-X', originalReferenceNo: '1', otp: '123456' });
    expect(unknown.body.responseCode).toBe('4040401');
  });

  it('duplicate partnerReferenceNo: 409xx01 for the same request, 404xx18 for different parameters; a registered phone is refused', async () => {
    const body = { partnerReferenceNo: 'DUP-1', email: 'd@example.com', name: 'Dup', phoneNo: '6281200000088', redirectUrl: registered };
    expect((await h.client.call(P.accountCreation, body)).body.responseCode).toBe('2000600');
    const again = await h.client.call(P.accountCreation, body);
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ responseCode: '4090601', responseMessage: 'Duplicate partnerReferenceNo' });
    const changed = await h.client.call(P.accountCreation, { ...body, phoneNo: '6281200000089' });
    expect(changed.body.responseCode).toBe('4040618');
    h.sim.control.createAccount({ phoneNo: '6281200000090' });
    const taken = await h.client.call(P.accountCreation, { ...body, partnerReferenceNo: 'DUP-2', phoneNo: '081200000090' });
    expect(taken.status).toBe(403);
    expect(taken.body.responseCode).toBe('4030605');
  });

  it('binding: unknown account is 4040711; three wrong PINs fail the consent with a redirect', async () => {
    expect(
      (await h.client.call(P.accountBinding, { partnerReferenceNo: 'B-X', redirectUrl: bound, successParams: { accountId: '1000000000' } }))
        .body.responseCode,
    ).toBe('4040711');
    const acc = h.sim.control.createAccount({ phoneNo: '6281200000099', pin: '112233' });
    const b = await h.client.call(P.accountBinding, {
      partnerReferenceNo: 'B-Y',
      redirectUrl: bound,
      successParams: { accountId: acc.accountId },
    });
    const url = b.body.nextAction as string;
    const f = formOf((await getPage(url)).html);
    await postForm(url, f.action, { token: f.token, pin: '000000' });
    await postForm(url, f.action, { token: f.token, pin: '000000' });
    const third = await postForm(url, f.action, { token: f.token, pin: '000000' });
    expect(third.status).toBe(302);
    expect(new URL(third.location!).searchParams.get('status')).toBe('FAILED');
    expect(new URL(third.location!).searchParams.get('authCode')).toBeNull();
  });
});
