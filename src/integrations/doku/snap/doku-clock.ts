import { Injectable } from '@nestjs/common';

/**
 * The time the DOKU integration runs on: X-TIMESTAMP, the Jakarta day of X-EXTERNAL-ID, token
 * expiry. One injectable so tests can move it (across Jakarta midnight, past a token's expiry).
 */
@Injectable()
export class DokuClock {
  now(): Date {
    return new Date();
  }
}
