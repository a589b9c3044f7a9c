/**
 * DOKU e-Wallet checkout's wire shapes (non-SNAP, docs/channels.md#doku-e-wallet-checkout). Amounts
 * are whole rupiah as JSON numbers; names are DOKU's snake_case.
 */

export interface CheckoutLineItem {
  name: string;
  price: number;
  quantity: number;
}

export interface CheckoutPaymentRequest {
  order: {
    invoice_number: string;
    amount: number;
    line_items?: CheckoutLineItem[];
    success_url?: string;
    failed_url?: string;
    notify_url: string;
    auto_redirect: boolean;
  };
  additional_info?: { override_notification_url?: string };
}

export interface CheckoutPaymentResponse {
  order?: { invoice_number?: string; line_items?: CheckoutLineItem[] };
  doku_wallet_payment_page?: { url?: string };
  additional_info?: { override_notification_url?: string };
}

/** The envelope of a notification and of the status answer; DOKU may add fields. */
export interface CheckoutResultEnvelope {
  service?: { id?: string };
  acquirer?: { id?: string };
  channel?: { id?: string };
  order?: { invoice_number?: string; amount?: number };
  transaction?: { status?: string; date?: string; original_request_id?: string };
}
