import type { CustomerPage } from '../common/pages/customer-page';
import { NOT_FOUND_PAGE, UNAVAILABLE_PAGE } from '../common/pages/customer-page';
import type { BindingCallbackOutcome } from './wallet-binding.service';
import type { RegistrationCallbackOutcome } from './wallet-registration.service';

/**
 * What the customer reads after DOKU's create-PIN and binding pages, in Indonesian and English
 * (docs/customer-pages.md). Fixed text: nothing from the query is echoed, no internal code shown.
 */
export const REGISTRATION_PAGES: Record<RegistrationCallbackOutcome, CustomerPage> = {
  CREATED: {
    status: 200,
    tone: 'success',
    result: 'success',
    text: {
      en: { title: 'DOKU Wallet created', message: 'Your DOKU Wallet is ready. Return to the app to link it.' },
      id: { title: 'Dompet DOKU berhasil dibuat', message: 'Dompet DOKU Anda sudah siap. Kembali ke aplikasi untuk menghubungkannya.' },
    },
  },
  ALREADY_CREATED: {
    status: 200,
    tone: 'success',
    result: 'success',
    text: {
      en: { title: 'DOKU Wallet already created', message: 'This DOKU Wallet was already created. Return to the app to continue.' },
      id: { title: 'Dompet DOKU sudah dibuat', message: 'Dompet DOKU ini sudah dibuat sebelumnya. Kembali ke aplikasi untuk melanjutkan.' },
    },
  },
  FAILED: {
    status: 422,
    tone: 'failure',
    result: 'failure',
    text: {
      en: {
        title: 'DOKU Wallet not created',
        message: 'Your DOKU Wallet was not created. Return to the app to try again.',
        reason: 'DOKU did not confirm that the PIN was created.',
      },
      id: {
        title: 'Dompet DOKU belum dibuat',
        message: 'Dompet DOKU Anda belum dibuat. Kembali ke aplikasi untuk mencoba lagi.',
        reason: 'DOKU tidak mengonfirmasi bahwa PIN sudah dibuat.',
      },
    },
  },
  EXPIRED: {
    status: 410,
    tone: 'info',
    result: 'expired',
    text: {
      en: {
        title: 'This link has expired',
        message: 'This registration is no longer valid: a newer one was started, or it took too long. Return to the app to start again.',
      },
      id: {
        title: 'Tautan ini sudah kedaluwarsa',
        message:
          'Pendaftaran ini tidak berlaku lagi: pendaftaran baru sudah dimulai, atau waktunya habis. Kembali ke aplikasi untuk memulai lagi.',
      },
    },
  },
  NOT_FOUND: NOT_FOUND_PAGE,
};

export const BINDING_PAGES: Record<BindingCallbackOutcome, CustomerPage> = {
  LINKED: {
    status: 200,
    tone: 'success',
    result: 'success',
    text: {
      en: { title: 'DOKU Wallet linked', message: 'Your DOKU Wallet is linked. Return to the app.' },
      id: { title: 'Dompet DOKU terhubung', message: 'Dompet DOKU Anda sudah terhubung. Kembali ke aplikasi.' },
    },
  },
  ALREADY_LINKED: {
    status: 200,
    tone: 'success',
    result: 'success',
    text: {
      en: { title: 'DOKU Wallet already linked', message: 'This DOKU Wallet is already linked. Return to the app.' },
      id: { title: 'Dompet DOKU sudah terhubung', message: 'Dompet DOKU ini sudah terhubung sebelumnya. Kembali ke aplikasi.' },
    },
  },
  CANCELLED: {
    status: 200,
    tone: 'info',
    result: 'cancelled',
    text: {
      en: {
        title: 'Linking cancelled',
        message: 'You cancelled linking your DOKU Wallet. Nothing was changed; you can try again from the app whenever you like.',
      },
      id: {
        title: 'Penghubungan dibatalkan',
        message: 'Anda membatalkan penghubungan Dompet DOKU. Tidak ada yang berubah; Anda dapat mencoba lagi dari aplikasi kapan saja.',
      },
    },
  },
  FAILED: {
    status: 422,
    tone: 'failure',
    result: 'failure',
    text: {
      en: {
        title: 'DOKU Wallet not linked',
        message: 'Your DOKU Wallet was not linked. Return to the app to try again.',
        reason: 'DOKU did not approve the link, for example after too many wrong PINs.',
      },
      id: {
        title: 'Dompet DOKU belum terhubung',
        message: 'Dompet DOKU Anda belum terhubung. Kembali ke aplikasi untuk mencoba lagi.',
        reason: 'DOKU tidak menyetujui penghubungan, misalnya karena PIN salah terlalu sering.',
      },
    },
  },
  ACCOUNT_IN_USE: {
    status: 409,
    tone: 'failure',
    result: 'failure',
    text: {
      en: {
        title: 'DOKU Wallet not linked',
        message: 'Return to the app to link another DOKU Wallet.',
        reason: 'This DOKU Wallet is already linked to another account in this app.',
      },
      id: {
        title: 'Dompet DOKU belum terhubung',
        message: 'Kembali ke aplikasi untuk menghubungkan Dompet DOKU lain.',
        reason: 'Dompet DOKU ini sudah terhubung ke akun lain di aplikasi ini.',
      },
    },
  },
  EXPIRED: {
    status: 410,
    tone: 'info',
    result: 'expired',
    text: {
      en: { title: 'This link has expired', message: 'This linking request is no longer valid. Return to the app to start again.' },
      id: {
        title: 'Tautan ini sudah kedaluwarsa',
        message: 'Permintaan penghubungan ini tidak berlaku lagi. Kembali ke aplikasi untuk memulai lagi.',
      },
    },
  },
  NOT_FOUND: NOT_FOUND_PAGE,
  UNAVAILABLE: UNAVAILABLE_PAGE,
};
