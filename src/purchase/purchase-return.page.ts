import { TransactionStatus } from '../transactions/transaction-state';

const TEXT: Record<TransactionStatus | 'MISSING', [string, string]> = {
  SUCCESS: ['Payment successful', 'Your payment was received. You can return to the app.'],
  PENDING: ['Payment being confirmed', 'We are waiting for DOKU to confirm the payment. You can return to the app.'],
  UNKNOWN: ['Payment being confirmed', 'We are waiting for DOKU to confirm the payment. You can return to the app.'],
  FAILED: ['Payment failed', 'The payment did not go through. No money was taken.'],
  CANCELED: ['Payment canceled', 'The payment was canceled.'],
  MISSING: ['Payment not found', 'We could not find this payment. Please return to the app.'],
};

/** The small page the browser sees after DOKU's PIN page (no user data, no query echo). */
export function renderPurchaseReturnPage(status: TransactionStatus | undefined): string {
  const [title, text] = TEXT[status ?? 'MISSING'];
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title></head><body><h1>${title}</h1><p>${text}</p></body></html>`;
}
