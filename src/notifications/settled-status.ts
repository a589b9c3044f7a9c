import { mapTransactionStatus, mapWordStatus } from '../integrations/doku/snap/doku-response-codes';

const quiet = (): void => undefined;

/** The settled status a notification reports (a two-digit code or a checkout word), or null when it reports none. */
export function settledStatusReported(reported: string | null): 'SUCCESS' | 'FAILED' | 'CANCELED' | null {
  if (reported === null) return null;
  const theirs = /^\d{2}$/.test(reported) ? mapTransactionStatus(reported, quiet) : mapWordStatus(reported, quiet);
  // An unreadable status maps to PENDING, which is not settled.
  return theirs === 'SUCCESS' || theirs === 'FAILED' || theirs === 'CANCELED' ? theirs : null;
}
