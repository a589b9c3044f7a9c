import { Injectable } from '@nestjs/common';
import type { ExternalIdBlock } from '../snap/external-id.repository';
import { ExternalIdRepository } from '../snap/external-id.repository';

/** Characters after the prefix: base 36, so 36^11 (about 1.3e17) values fit. */
const DIGITS = 11;
const LIMIT = 36n ** BigInt(DIGITS);

/**
 * `K` followed by the value in base 36, upper case, zero-padded to 11: always exactly 12 letters
 * and digits, and two different values never give the same reference.
 */
export function formatKkiRefundNo(value: bigint): string {
  if (value < 0n || value >= LIMIT) throw new RangeError('KKI refund number out of range');
  return `K${value.toString(36).toUpperCase().padStart(DIGITS, '0')}`;
}

/**
 * References of KKI refunds, which DOKU limits to 12 characters (docs/channels.md#kki-card-host-to-host).
 * Random text that short could collide, so each value comes from the never-resetting PostgreSQL
 * sequence behind X-EXTERNAL-ID, reserved in blocks exactly as the X-EXTERNAL-ID generator does:
 * a value is handed out once across every instance and restart, whichever of the two uses it, and
 * `formatKkiRefundNo` maps distinct values to distinct references. Values left in a block when a
 * process stops are skipped, never reused. The caller stores the reference with the refund before
 * calling DOKU and resends the same one on every retry.
 */
@Injectable()
export class KkiRefundNumbers {
  private nextValue = 0n;
  private end = 0n;
  private fetching: Promise<ExternalIdBlock> | undefined;

  constructor(private readonly repository: ExternalIdRepository) {}

  async next(): Promise<string> {
    while (this.nextValue >= this.end) {
      this.fetching ??= this.repository.reserveBlock().finally(() => (this.fetching = undefined));
      const block = await this.fetching;
      // Another caller may have moved to this block already while this one waited.
      if (this.nextValue >= this.end && block.first >= this.end) {
        this.nextValue = block.first;
        this.end = block.first + BigInt(block.size);
      }
    }
    return formatKkiRefundNo(this.nextValue++);
  }
}
