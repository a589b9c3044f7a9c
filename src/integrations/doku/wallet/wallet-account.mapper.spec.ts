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

describe('wallet account mapper', () => {
  it('builds Account Creation with every field in its place and order', () => {
    expect(
      JSON.stringify(
        toAccountCreationRequest({
          partnerReferenceNo: 'REG-1',
          name: 'Siti Rahayu',
          email: 'siti@example.com',
          phone: '6281234567890',
          redirectUrl: 'https://partner.example/v1/callbacks/doku/registration',
        }),
      ),
    ).toBe(
      '{"partnerReferenceNo":"REG-1","name":"Siti Rahayu","email":"siti@example.com","phoneNo":"6281234567890",' +
        '"redirectUrl":"https://partner.example/v1/callbacks/doku/registration"}',
    );
  });

  it("reads Account Creation's reference, or its absence", () => {
    expect(toAccountApplicationSent({ responseCode: '2000500', referenceNo: 'DK-REG-1' })).toEqual({ referenceNo: 'DK-REG-1' });
    expect(toAccountApplicationSent({ responseCode: '2000500' })).toEqual({ referenceNo: undefined });
  });

  it('builds Verify OTP naming the original request', () => {
    expect(JSON.stringify(toVerifyOtpRequest({ partnerReferenceNo: 'REG-1', referenceNo: 'DK-REG-1', otp: '123456' }))).toBe(
      '{"originalPartnerReferenceNo":"REG-1","originalReferenceNo":"DK-REG-1","otp":"123456"}',
    );
  });

  it("reads the create-PIN page in DOKU's SDK spelling and in SNAP's", () => {
    expect(toOtpVerified({ responseCode: '2000400', qparamsURL: 'https://pin/a', qparams: { token: 'T1' } })).toEqual({
      pinPageUrl: 'https://pin/a',
      pinPageToken: 'T1',
    });
    expect(toOtpVerified({ responseCode: '2000400', qParamsURL: 'https://pin/b', qParams: { token: 'T2' } })).toEqual({
      pinPageUrl: 'https://pin/b',
      pinPageToken: 'T2',
    });
    expect(toOtpVerified({ responseCode: '2000400' })).toEqual({ pinPageUrl: undefined, pinPageToken: undefined });
  });

  it('builds Account Binding, with the phone only when given', () => {
    const application = { partnerReferenceNo: 'BIND-1', redirectUrl: 'https://partner.example/cb?ref=BIND-1', accountId: 'ACC1' };
    expect(JSON.stringify(toAccountBindingRequest({ ...application, phone: '6281234567890' }))).toBe(
      '{"partnerReferenceNo":"BIND-1","redirectUrl":"https://partner.example/cb?ref=BIND-1","successParams":{"accountId":"ACC1"},' +
        '"phoneNo":"6281234567890"}',
    );
    expect(JSON.stringify(toAccountBindingRequest(application))).toBe(
      '{"partnerReferenceNo":"BIND-1","redirectUrl":"https://partner.example/cb?ref=BIND-1","successParams":{"accountId":"ACC1"}}',
    );
    expect(JSON.stringify(toAccountBindingRequest({ ...application, phone: '' }))).not.toContain('phoneNo');
  });

  it("reads Account Binding's references, consent page and public user id", () => {
    expect(
      toBindingStarted({
        responseCode: '2000700',
        referenceNo: 'DK-B1',
        linkId: 'L1',
        nextAction: 'https://consent',
        userInfo: { publicUserId: 'PU1' },
      }),
    ).toEqual({ referenceNo: 'DK-B1', linkId: 'L1', consentPageUrl: 'https://consent', publicUserId: 'PU1' });
    expect(toBindingStarted({ responseCode: '2000700' })).toEqual({
      referenceNo: null,
      linkId: null,
      consentPageUrl: undefined,
      publicUserId: undefined,
    });
  });

  it('builds Account Unbinding in the partner’s name, with the link id only when known', () => {
    expect(JSON.stringify(toAccountUnbindingRequest({ partnerReferenceNo: 'UNBIND-1', linkId: 'L1', accountId: 'ACC1' }, 'BRN-1'))).toBe(
      '{"merchantId":"BRN-1","partnerReferenceNo":"UNBIND-1","linkId":"L1","additionalInfo":{"accountId":"ACC1"}}',
    );
    expect(JSON.stringify(toAccountUnbindingRequest({ partnerReferenceNo: 'UNBIND-1', linkId: null, accountId: 'ACC1' }, 'BRN-1'))).toBe(
      '{"merchantId":"BRN-1","partnerReferenceNo":"UNBIND-1","additionalInfo":{"accountId":"ACC1"}}',
    );
  });

  it('reads an unbinding as done at once only on unlinkResult success, in any case', () => {
    expect(toUnbindingStarted({ responseCode: '2000900', unlinkResult: 'SUCCESS', referenceNo: 'DK-U1' })).toEqual({
      unlinked: true,
      referenceNo: 'DK-U1',
    });
    expect(toUnbindingStarted({ responseCode: '2000900', unlinkResult: 'pending' })).toEqual({ unlinked: false, referenceNo: null });
    expect(toUnbindingStarted({ responseCode: '2000900' })).toEqual({ unlinked: false, referenceNo: null });
  });
});
