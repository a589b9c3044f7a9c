import { withoutPageTokens } from './admin-transaction.response.dto';

describe(withoutPageTokens.name, () => {
  it("hides the query of the customer's page links and keeps where they go", () => {
    expect(
      withoutPageTokens({
        webRedirectUrl: 'https://pay.example/pay?token=abc123',
        checkoutUrl: 'https://pay.example/checkout#frag',
        payableUntil: '2026-12-04T10:00:00.000Z',
        items: [],
      }),
    ).toEqual({
      webRedirectUrl: 'https://pay.example/pay?[redacted]',
      checkoutUrl: 'https://pay.example/checkout?[redacted]',
      payableUntil: '2026-12-04T10:00:00.000Z',
      items: [],
    });
  });

  it('gives the details unchanged when no link carries a query', () => {
    const details = { webRedirectUrl: 'https://pay.example/pay', bankCode: '014' };
    expect(withoutPageTokens(details)).toBe(details);
  });
});
