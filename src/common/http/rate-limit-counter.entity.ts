import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A fixed-window request counter of a sensitive route per client address (RateLimitCounters). */
@Entity('rate_limit_counters')
export class RateLimitCounter {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'rate_limit_counters_pkey' })
  key: string;

  @Column({ type: 'integer' })
  hits: number;

  @Index('rate_limit_counters_window_ends_at_idx')
  @Column({ type: 'timestamptz' })
  windowEndsAt: Date;
}
