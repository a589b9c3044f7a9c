import { toAccountBindingState, toB2b2cTokenRequest, toCustomerTokens, toQueryAccountBindingRequest } from './customer-token.mapper';

describe('customer token mapper', () => {
  it('builds the token grants', () => {
    expect(JSON.stringify(toB2b2cTokenRequest({ authCode: 'AC' }))).toBe('{"grantType":"authorization_code","authCode":"AC"}');
    expect(JSON.stringify(toB2b2cTokenRequest({ refreshToken: 'RT' }))).toBe('{"grantType":"refresh_token","refreshToken":"RT"}');
  });

  it('reads the issued tokens and their expiry times', () => {
    expect(
      toCustomerTokens({
        responseCode: '2007400',
        accessToken: 'AT',
        accessTokenExpiryTime: '2025-01-02T10:15:00+07:00',
        refreshToken: 'RT',
        refreshTokenExpiryTime: '2025-02-02T10:00:00+07:00',
      }),
    ).toEqual({
      accessToken: 'AT',
      accessTokenExpiresAt: new Date('2025-01-02T03:15:00Z'),
      refreshToken: 'RT',
      refreshTokenExpiresAt: new Date('2025-02-02T03:00:00Z'),
    });
  });

  it('reads an empty token as none and an unreadable time as unknown', () => {
    expect(
      toCustomerTokens({
        responseCode: '2007400',
        accessToken: '',
        accessTokenExpiryTime: 'soon',
        refreshTokenExpiryTime: '2025-02-02T10:00:00+07:00',
      }),
    ).toEqual({
      accessToken: undefined,
      accessTokenExpiresAt: null,
      refreshToken: null,
      refreshTokenExpiresAt: null,
    });
  });

  it('builds Query Account Binding and reads its encrypted authCode', () => {
    expect(JSON.stringify(toQueryAccountBindingRequest('A1', 'QAB-1'))).toBe(
      '{"partnerReferenceNo":"QAB-1","additionalInfo":{"accountId":"A1"}}',
    );
    expect(toAccountBindingState({ responseCode: '2000800', additionalInfo: { authCode: 'enc' } })).toEqual({ encryptedAuthCode: 'enc' });
  });
});
