import type { DataSource } from 'typeorm';
import { AppError } from '../../common/errors/app-error';
import { rupiah } from '../../common/money/money';
import type { AppConfigService } from '../../config/app-config.service';
import type { DokuCheckoutClient } from '../../integrations/doku/checkout/checkout.client';
import type { CheckoutFailureKind } from '../../integrations/doku/checkout/checkout.errors';
import { CheckoutCallError } from '../../integrations/doku/checkout/checkout.errors';
import type { CheckoutOrder, CheckoutOutcome } from '../../integrations/doku/checkout/checkout.mapper';
import type { Transaction } from '../../transactions/entities/transaction.entity';
import type { TransactionResolverRegistry } from '../../transactions/transaction-resolver.registry';
import type { PurchaseStatusService } from '../purchase-status.service';
import type { PurchasesRepository } from '../purchases.repository';
import { CheckoutPurchaseChannel } from './checkout.channel';
import type { PurchaseChannels } from './purchase-channels';

/**
 * How the checkout channel reads the checkout client's answers into the outcomes the purchase
 * feature settles by (docs/channels.md#doku-e-wallet-checkout). The client itself is faked here;
 * the e2e tests run the real one against the simulator.
 */
describe('CheckoutPurchaseChannel', () => {
  const purchase = {
    id: '3f2a6c1e-8b9d-4e0f-a1b2-c3d4e5f60718',
    partnerReferenceNo: 'DWC-0123456789abcdef0123456789abcdef',
    amount: rupiah(9000),
    dokuExternalId: 'req-1',
    dokuReferenceNo: null,
    status: 'PENDING',
    details: {},
  } as unknown as Transaction;
  const config = {
    app: { publicBaseUrl: 'https://partner.example' },
    doku: { checkout: { clientId: 'MCH-1', secretKey: 'SK-1', notificationPath: '/v1/callbacks/doku/checkout' } },
  } as unknown as AppConfigService;

  function channel(client: Partial<DokuCheckoutClient> | null, stored: Transaction | null = purchase): CheckoutPurchaseChannel {
    const purchases = { findByPartnerReference: () => Promise.resolve(stored) } as unknown as PurchasesRepository;
    return new CheckoutPurchaseChannel(
      {} as PurchaseChannels,
      client as DokuCheckoutClient | null,
      {} as PurchaseStatusService,
      purchases,
      {} as TransactionResolverRegistry,
      config,
      {} as DataSource,
    );
  }
  const failing = (kind: CheckoutFailureKind, httpStatus: number | undefined, sent = true) => ({
    createPayment: () => Promise.reject(new CheckoutCallError('checkoutPayment', kind, httpStatus, 'req-1', sent)),
  });
  const start = (c: CheckoutPurchaseChannel) => c.start(purchase, { payableUntil: new Date() }, undefined);

  it('sends the order under the stored Request-Id with our reference as invoice, and answers DOKU’s page', async () => {
    const sent: Array<{ order: CheckoutOrder; requestId: string }> = [];
    const c = channel({
      createPayment: (order: CheckoutOrder, requestId: string) => {
        sent.push({ order, requestId });
        return Promise.resolve({
          body: { invoiceNumber: order.invoiceNumber, paymentPageUrl: 'https://doku.example/pay/abc' },
          httpStatus: 200,
          replayed: false,
          requestId,
          durationMs: 5,
        });
      },
    });
    const outcome = await start(c);
    expect(sent).toEqual([
      {
        requestId: 'req-1',
        order: expect.objectContaining({
          invoiceNumber: purchase.partnerReferenceNo,
          amount: rupiah(9000),
          notifyUrl: 'https://partner.example/v1/callbacks/doku/checkout',
          successUrl: `https://partner.example/v1/callbacks/doku/purchase?ref=${purchase.partnerReferenceNo}`,
          autoRedirect: true,
        }),
      },
    ]);
    expect(outcome).toMatchObject({
      kind: 'ok',
      result: { body: { referenceNo: purchase.partnerReferenceNo, webRedirectUrl: 'https://doku.example/pay/abc' }, externalId: 'req-1' },
    });
  });

  it.each([
    ['UNKNOWN', 500, true, 'unknown'],
    ['UNKNOWN', undefined, true, 'unknown'],
    ['RESPONSE_SIGNATURE_INVALID', 200, true, 'unknown'],
    ['DUPLICATE', 409, true, 'unknown'],
    ['REJECTED', 400, true, 'rejected'],
    ['REQUEST_SIGNATURE_REFUSED', 401, true, 'rejected'],
    // The connection was never made: nothing reached DOKU.
    ['UNKNOWN', undefined, false, 'rejected'],
  ] as const)('a %s failure (HTTP %s, sent %s) is %s', async (kind, httpStatus, sentFlag, expected) => {
    expect((await start(channel(failing(kind, httpStatus, sentFlag)))).kind).toBe(expected);
  });

  it('is off, and starts nothing, without a configured merchant', async () => {
    const off = channel(null);
    expect(off.available()).toBe(false);
    expect(await start(off)).toMatchObject({ kind: 'rejected', error: { code: 'PURCHASE.PAYMENT_METHOD_UNAVAILABLE' } });
  });

  const answering = (outcome: Partial<CheckoutOutcome>) => ({
    status: () =>
      Promise.resolve({
        body: {
          invoiceNumber: purchase.partnerReferenceNo,
          amount: rupiah(9000),
          status: 'SUCCESS' as const,
          statusWord: 'SUCCESS',
          date: null,
          originalRequestId: null,
          ...outcome,
        },
        httpStatus: 200,
        replayed: false,
        requestId: 'req-9',
        durationMs: 3,
      }),
  });
  const status = (c: CheckoutPurchaseChannel) => c.status({ partnerReferenceNo: purchase.partnerReferenceNo });

  it('reads DOKU’s status of our order with our amount', async () => {
    const answer = await status(channel(answering({})));
    expect(answer.body).toMatchObject({ status: 'SUCCESS', statusCode: 'SUCCESS', referenceNo: purchase.partnerReferenceNo, refunds: [] });
  });

  it.each([
    ['another amount', { amount: rupiah(1000) }],
    ['no amount', { amount: null }],
    ['another invoice', { invoiceNumber: 'DWC-ffffffffffffffffffffffffffffffff' }],
  ])('refuses an answer with %s: it settles nothing', async (_, outcome) => {
    const error = await status(channel(answering(outcome))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('DOKU.OUTCOME_UNKNOWN');
  });
});
