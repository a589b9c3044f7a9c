/**
 * How a purchase is paid (docs/channels.md): from the user's bound DOKU Wallet (the original flow,
 * the default), once through DANA or DOKU's own e-Wallet checkout page without any binding, or with a KKI card (CARD).
 * Refunds and cancels carry their purchase's method. A new channel adds its name here and to the CHECK constraint (a migration).
 */
export const PAYMENT_METHODS = ['DOKU_WALLET', 'DANA', 'CARD', 'DOKU_WALLET_CHECKOUT'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];
export const DEFAULT_PAYMENT_METHOD: PaymentMethod = 'DOKU_WALLET';
