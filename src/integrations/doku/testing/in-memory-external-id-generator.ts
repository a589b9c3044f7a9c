import { randomInt } from 'node:crypto';
import { jakartaTimestamp } from '../snap/doku-signature';
import type { ExternalIdGenerator } from '../snap/doku.ports';

/**
 * FOR TESTS AND LOCAL TOOLS ONLY. Unique within one process, not across instances or restarts, so it
 * does not meet DOKU's uniqueness rule in production (docs/doku-integration.md#x-external-id); the
 * real generator is database-backed.
 * Shape: Jakarta date (8 digits) + per-process counter (12) + random (6) = 26 digits.
 */
export class InMemoryExternalIdGenerator implements ExternalIdGenerator {
  private counter = 0;

  constructor(private readonly now: () => Date = () => new Date()) {}

  next(): Promise<string> {
    this.counter += 1;
    const day = jakartaTimestamp(this.now()).slice(0, 10).replace(/-/g, '');
    const random = String(randomInt(0, 1_000_000)).padStart(6, '0');
    return Promise.resolve(`${day}${String(this.counter).padStart(12, '0')}${random}`);
  }
}
