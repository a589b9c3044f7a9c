import { redactUrl } from './redaction';

describe(redactUrl.name, () => {
  it('hides the authCode and accountId of DOKU redirects, keeps our own reference', () => {
    expect(redactUrl('/v1/callbacks/doku/binding?ref=BIND-1&authCode=cfb5de1a')).toBe(
      '/v1/callbacks/doku/binding?ref=BIND-1&authCode=%5Bredacted%5D',
    );
    expect(redactUrl('/v1/callbacks/doku/registration?accountId=1140340010&partnerReferenceNo=REG-1&status=SUCCESS')).toBe(
      '/v1/callbacks/doku/registration?accountId=%5Bredacted%5D&partnerReferenceNo=REG-1&status=SUCCESS',
    );
  });

  it('hides every repeated value and leaves URLs without secrets untouched', () => {
    expect(redactUrl('/x?token=a&token=b')).toBe('/x?token=%5Bredacted%5D');
    expect(redactUrl('/v1/wallet?page=2')).toBe('/v1/wallet?page=2');
    expect(redactUrl('/v1/wallet')).toBe('/v1/wallet');
  });
});
