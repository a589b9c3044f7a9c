import { rupiah } from '../../../common/money/money';
import { CheckoutOrderError, toCheckoutOutcome, toCheckoutPaymentRequest, toCheckoutStarted } from './checkout.mapper';

describe('checkout mapper', () => {
  const order = {
    invoiceNumber: 'TEST-1234',
    amount: rupiah(9000),
    items: [
      { name: 'T-Shirt Red', price: rupiah(3000), quantity: 2 },
      { name: 'Polo Navy', price: rupiah(3000), quantity: 1 },
    ],
    successUrl: 'https://your-success-url.domain/',
    failedUrl: 'https://your-failed-url.domain/',
    notifyUrl: 'https://merchant.com/notify-url',
    autoRedirect: false,
  };

  it("builds DOKU's sample order byte for byte (the body of signature vector V1)", () => {
    expect(JSON.stringify(toCheckoutPaymentRequest(order))).toBe(
      '{"order":{"invoice_number":"TEST-1234","amount":9000,"line_items":[{"name":"T-Shirt Red","price":3000,"quantity":2},' +
        '{"name":"Polo Navy","price":3000,"quantity":1}],"success_url":"https://your-success-url.domain/","failed_url":"https://your-failed-url.domain/",' +
        '"notify_url":"https://merchant.com/notify-url","auto_redirect":false}}',
    );
  });

  it('builds a bare order, with the notification override when given', () => {
    expect(
      JSON.stringify(
        toCheckoutPaymentRequest({
          invoiceNumber: 'INV-1',
          amount: rupiah(15000),
          notifyUrl: 'https://p.example/n',
          autoRedirect: true,
          overrideNotificationUrl: 'https://q.example/n',
        }),
      ),
    ).toBe(
      '{"order":{"invoice_number":"INV-1","amount":15000,"notify_url":"https://p.example/n","auto_redirect":true},' +
        '"additional_info":{"override_notification_url":"https://q.example/n"}}',
    );
  });

  it.each([
    ['line items that do not add up', { items: [{ name: 'x', price: rupiah(3000), quantity: 2 }] }, 'add up'],
    ['a zero amount', { amount: rupiah(0), items: undefined }, 'amount'],
    ['an amount of 13 digits', { amount: rupiah(1_000_000_000_000), items: undefined }, 'amount'],
    ['a quantity of 5 digits', { amount: rupiah(30_000), items: [{ name: 'x', price: rupiah(3), quantity: 10_000 }] }, 'quantity'],
    ['a fractional quantity', { amount: rupiah(3), items: [{ name: 'x', price: rupiah(2), quantity: 1.5 }] }, 'quantity'],
    ['an empty item name', { amount: rupiah(3), items: [{ name: '', price: rupiah(3), quantity: 1 }] }, 'name'],
    ['an invoice number of 65 characters', { invoiceNumber: 'I'.repeat(65) }, 'invoice'],
    ['no notify URL', { notifyUrl: '' }, 'notify'],
  ])('refuses %s before anything is sent', (_what, change, message) => {
    const attempt = () => toCheckoutPaymentRequest({ ...order, ...change });
    expect(attempt).toThrow(CheckoutOrderError);
    expect(attempt).toThrow(message);
  });

  it('reads the page URL, and nothing without one', () => {
    expect(toCheckoutStarted({ order: { invoice_number: 'X' }, doku_wallet_payment_page: { url: 'https://d.example/pay/X' } })).toEqual({
      invoiceNumber: 'X',
      paymentPageUrl: 'https://d.example/pay/X',
    });
    expect(toCheckoutStarted({ order: { invoice_number: 'X' } })).toBeUndefined();
    expect(toCheckoutStarted({ doku_wallet_payment_page: { url: 'javascript:alert(1)' } })).toBeUndefined();
    expect(toCheckoutStarted(undefined)).toBeUndefined();
  });

  it.each([
    ['SUCCESS', 'SUCCESS'],
    ['FAILED', 'FAILED'],
    ['EXPIRED', 'CANCELED'],
    ['REFUNDED', 'REFUNDED'],
    ['PENDING', 'PENDING'],
    ['TIMEOUT', 'PENDING'],
    ['PAID?', 'PENDING'],
  ])('reads transaction status %s as %s', (word, status) => {
    expect(toCheckoutOutcome({ order: { invoice_number: 'X', amount: 9000 }, transaction: { status: word } })).toMatchObject({
      invoiceNumber: 'X',
      amount: rupiah(9000),
      status,
    });
  });

  it('never reads a fractional or missing amount as money', () => {
    expect(toCheckoutOutcome({ order: { invoice_number: 'X', amount: 90.5 } }).amount).toBeNull();
    expect(toCheckoutOutcome({}).amount).toBeNull();
  });
});
