import { AppError } from '../common/errors/app-error';
import { DokuResponseError, DokuTimeoutError, DokuTransportError } from '../integrations/doku/snap/doku.errors';

/**
 * How a failed onboarding/binding call to DOKU reaches the user. Business refusals keep their
 * `DOKU.*` code and the raw SNAP code in details (for the back office). Faults on our side of the
 * integration (signature, B2B token, duplicate X-EXTERNAL-ID) and an unknown outcome are not the
 * user's to fix and must not read as their own 401: they become DOKU.UNAVAILABLE (503, retry later),
 * still with the SNAP code in details.
 */
export function translateDokuError(error: unknown): unknown {
  if (error instanceof DokuTimeoutError || error instanceof DokuTransportError) {
    return new AppError('DOKU.UNAVAILABLE', 'DOKU is not available right now; try again later', error.details);
  }
  if (error instanceof DokuResponseError) {
    switch (error.kind) {
      case 'INVALID_SIGNATURE':
      case 'INVALID_B2B_TOKEN':
      case 'DUPLICATE_EXTERNAL_ID':
      case 'UNKNOWN':
      case 'IN_PROGRESS':
        return new AppError('DOKU.UNAVAILABLE', 'DOKU is not available right now; try again later', error.details);
      default:
        return error;
    }
  }
  return error;
}
