import { maskAccountId, maskPhone } from './wallet-masking';

describe('wallet masking', () => {
  it('shows only the last four digits of a DOKU account id', () => {
    expect(maskAccountId('1140340010')).toBe('******0010');
    expect(maskAccountId('12345')).toBe('**2345');
    expect(maskAccountId(null)).toBeNull();
  });

  it('keeps the prefix and the last three digits of a phone', () => {
    expect(maskPhone('6281234567890')).toBe('6281******890');
    expect(maskPhone('62812')).toBe('*****');
    expect(maskPhone(null)).toBeNull();
  });
});
