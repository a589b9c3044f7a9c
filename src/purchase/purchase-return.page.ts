import type { CustomerPage, Localised, PageText } from '../common/pages/customer-page';
import { NOT_FOUND_PAGE } from '../common/pages/customer-page';
import type { Transaction } from '../transactions/entities/transaction.entity';

/** The path DOKU's payment pages send the browser back to (PAY_RETURN); fixed, never from the client. */
export const PURCHASE_RETURN_PATH = '/v1/callbacks/doku/purchase';

/**
 * What the customer reads after DOKU's PIN page, in Indonesian and English (docs/customer-pages.md):
 * the purchase's state as we know it, never a code, never anything from the query.
 */

const SUCCESS: Localised<PageText> = {
  en: { title: 'Payment successful', message: 'Your payment was received. You can return to the app.' },
  id: { title: 'Pembayaran berhasil', message: 'Pembayaran Anda sudah diterima. Anda dapat kembali ke aplikasi.' },
};

const PROCESSING: Localised<PageText> = {
  en: {
    title: 'Payment being confirmed',
    message: 'We are waiting for DOKU to confirm the payment. This page updates by itself; you can also return to the app.',
  },
  id: {
    title: 'Pembayaran sedang dikonfirmasi',
    message: 'Kami sedang menunggu konfirmasi dari DOKU. Halaman ini diperbarui otomatis; Anda juga dapat kembali ke aplikasi.',
  },
};

const CANCELED: Localised<PageText> = {
  en: { title: 'Payment cancelled', message: 'The payment was cancelled. Any money taken for it is returned to your DOKU Wallet.' },
  id: { title: 'Pembayaran dibatalkan', message: 'Pembayaran dibatalkan. Uang yang sempat terpotong dikembalikan ke Dompet DOKU Anda.' },
};

const EXPIRED: Localised<PageText> = {
  en: { title: 'Payment expired', message: 'The time to pay ran out, so no money was taken. Return to the app to try again.' },
  id: {
    title: 'Waktu pembayaran habis',
    message: 'Batas waktu pembayaran sudah lewat, jadi tidak ada uang yang terpotong. Kembali ke aplikasi untuk mencoba lagi.',
  },
};

const FAILED: Localised<{ title: string; message: string }> = {
  en: { title: 'Payment failed', message: 'The payment did not go through and no money was taken. Return to the app to try again.' },
  id: {
    title: 'Pembayaran gagal',
    message: 'Pembayaran tidak berhasil dan tidak ada uang yang terpotong. Kembali ke aplikasi untuk mencoba lagi.',
  },
};

/** Why a purchase failed, in plain words, by our failure code; anything else is DOKU's decline. */
const REASONS: Record<string, Localised<string>> = {
  'DOKU.INSUFFICIENT_BALANCE': { en: 'Your DOKU Wallet balance was not enough.', id: 'Saldo Dompet DOKU Anda tidak mencukupi.' },
  'DOKU.LIMIT_EXCEEDED': { en: 'The amount is above a DOKU Wallet limit.', id: 'Jumlahnya melebihi batas Dompet DOKU.' },
  'DOKU.ACCOUNT_RESTRICTED': {
    en: 'Your DOKU Wallet cannot pay at the moment; please contact DOKU.',
    id: 'Dompet DOKU Anda sedang tidak dapat dipakai membayar; silakan hubungi DOKU.',
  },
  'WALLET.NEEDS_REBINDING': {
    en: 'Your DOKU Wallet needs to be linked to the app again.',
    id: 'Dompet DOKU Anda perlu dihubungkan lagi ke aplikasi.',
  },
};
const DECLINED: Localised<string> = {
  en: 'DOKU did not complete the payment.',
  id: 'DOKU tidak menyelesaikan pembayaran ini.',
};

/** Failure codes that mean the time to pay ran out. */
export const EXPIRY_FAILURE_CODES = new Set(['DOKU.TRANSACTION_EXPIRED', 'PURCHASE.EXPIRED']);

/** The page for a purchase as we know it (`undefined`: no such purchase). */
export function purchaseReturnPage(purchase: Pick<Transaction, 'status' | 'failureCode'> | undefined): CustomerPage {
  if (!purchase) return NOT_FOUND_PAGE;
  switch (purchase.status) {
    case 'SUCCESS':
      return { status: 200, tone: 'success', result: 'success', text: SUCCESS };
    case 'CANCELED':
      // Canceled at DOKU because the time to pay ran out (docs/customer-pages.md#expiry).
      if (EXPIRY_FAILURE_CODES.has(purchase.failureCode ?? '')) return { status: 200, tone: 'info', result: 'expired', text: EXPIRED };
      return { status: 200, tone: 'info', result: 'cancelled', text: CANCELED };
    case 'FAILED': {
      const code = purchase.failureCode ?? '';
      if (EXPIRY_FAILURE_CODES.has(code)) return { status: 200, tone: 'info', result: 'expired', text: EXPIRED };
      const reason = Object.prototype.hasOwnProperty.call(REASONS, code) ? REASONS[code] : DECLINED;
      return {
        status: 200,
        tone: 'failure',
        result: 'failure',
        text: { en: { ...FAILED.en, reason: reason.en }, id: { ...FAILED.id, reason: reason.id } },
      };
    }
    default:
      return { status: 200, tone: 'pending', result: 'processing', text: PROCESSING };
  }
}
