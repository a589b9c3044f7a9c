import * as devCredentials from './dev-doku-credentials.json';

/**
 * Throwaway DOKU credentials for development and tests. The simulator registers the same partner
 * (simulator/dev-partner.json), so `npm start` works with no setup. Production never falls back to them.
 */
export const DEV_DOKU_CREDENTIALS: {
  clientId: string;
  clientSecret: string;
  partnerPrivateKeyPem: string;
  dokuPublicKeyPem: string;
  authCodeKey: string;
  tokenEncryptionKey: string;
  /** The DOKU e-Wallet checkout merchant the simulator registers (`checkoutClients` in simulator/dev-partner.json). */
  checkoutClientId: string;
  checkoutSecretKey: string;
} = devCredentials;
