import { passwordWeakness } from './password-policy';

describe(passwordWeakness.name, () => {
  it('refuses the common leaked passwords, also with a number or mark appended, in any case', () => {
    for (const p of ['password123', 'qwertyuiop', '1234567890', 'Basketball', 'BASKETBALL', 'basketball2024', 'Sunshine!!']) {
      expect([p, passwordWeakness(p)]).toEqual([p, 'password is one of the most common passwords; choose another']);
    }
  });

  it("refuses one repeated character and the person's own email name or phone number", () => {
    expect(passwordWeakness('aaaaaaaaaaaa')).toBe('password must not be one character repeated');
    expect(passwordWeakness('siti.rahayu-2026', { email: 'Siti.Rahayu@example.com' })).toBe('password must not contain the email address');
    expect(passwordWeakness('my6281234567890', { phone: '6281234567890' })).toBe('password must not contain the phone number');
    expect(passwordWeakness('x081234567890x', { phone: '6281234567890' })).toBe('password must not contain the phone number');
  });

  it('accepts a long unusual passphrase', () => {
    expect(passwordWeakness('correct horse battery staple', { email: 'siti@example.com', phone: '6281234567890' })).toBeNull();
    expect(passwordWeakness('Kopi-tubruk-di-Bandung-7')).toBeNull();
  });
});
