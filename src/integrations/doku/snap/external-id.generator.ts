import { Injectable, Logger } from '@nestjs/common';
import { DokuClock } from './doku-clock';
import { ExternalIdGenerator } from './doku.ports';
import { ExternalIdBlock, ExternalIdRepository } from './external-id.repository';

const JAKARTA_OFFSET_MS = 7 * 60 * 60 * 1000;
// bigint sequences fit in 19 digits; with the 8-digit date the id is 27 digits (<= 32).
const SEQUENCE_DIGITS = 19;
// Fetch the next block when this share of the current one is left, so callers rarely wait on it.
const PREFETCH_AT = 0.2;

const logger = new Logger('ExternalIdGenerator');

/**
 * X-EXTERNAL-ID for every HTTP attempt (docs/doku-integration.md#x-external-id): the Asia/Jakarta date
 * `YYYYMMDD` followed by a zero-padded value of the PostgreSQL sequence `doku_external_id_seq`.
 *
 * The sequence never resets and each instance takes its values in blocks (one `nextval` reserves
 * INCREMENT BY values), so an id is unique across instances, restarts and days; the date prefix
 * only makes it readable and keeps it "unique in the same day" as DOKU words it. Values left in a
 * block when a process stops are skipped, never reused. The next block is fetched in the
 * background when the current one runs low, so `next()` is normally a memory operation.
 */
@Injectable()
export class SequenceExternalIdGenerator implements ExternalIdGenerator {
  private nextValue = 0n;
  private end = 0n;
  private blockSize = 0;
  private spare: ExternalIdBlock | undefined;
  private fetching: Promise<void> | undefined;

  constructor(
    private readonly repository: ExternalIdRepository,
    private readonly clock: DokuClock,
  ) {}

  async next(): Promise<string> {
    while (this.nextValue >= this.end) await this.advance();
    const value = this.nextValue++;
    if (!this.spare && !this.fetching && Number(this.end - this.nextValue) <= this.blockSize * PREFETCH_AT) {
      void this.fetchSpare().catch((error: Error) => logger.warn(`Could not prefetch X-EXTERNAL-ID block: ${error.message}`));
    }
    return jakartaDate(this.clock.now()) + value.toString().padStart(SEQUENCE_DIGITS, '0');
  }

  /** Moves to the spare block, fetching one first if needed (single-flight within the process). */
  private async advance(): Promise<void> {
    if (!this.spare) await this.fetchSpare();
    // Another caller may have consumed the spare while this one waited.
    if (this.nextValue < this.end || !this.spare) return;
    const block = this.spare;
    this.spare = undefined;
    this.nextValue = block.first;
    this.end = block.first + BigInt(block.size);
    this.blockSize = block.size;
  }

  private fetchSpare(): Promise<void> {
    this.fetching ??= this.repository
      .reserveBlock()
      .then((block) => {
        this.spare = block;
      })
      .finally(() => {
        this.fetching = undefined;
      });
    return this.fetching;
  }
}

/** `YYYYMMDD` of the Asia/Jakarta day (UTC+7, no daylight saving). */
export function jakartaDate(date: Date): string {
  const t = new Date(date.getTime() + JAKARTA_OFFSET_MS);
  return (
    String(t.getUTCFullYear()).padStart(4, '0') + String(t.getUTCMonth() + 1).padStart(2, '0') + String(t.getUTCDate()).padStart(2, '0')
  );
}
