import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** Keys of the sensitive routes' counters start with this (RateLimitGuard's keys). */
export const SHARED_KEY_PREFIX = 'sensitive:';

/** A request counted: how many the key's window holds now, and when the window ends. */
export interface RateLimitCount {
  hits: number;
  /** Seconds until the window ends (at least 1). */
  secondsLeft: number;
}

/**
 * Where the rate limiter counts, one fixed window per key. The sensitive routes (sign-in,
 * registration, tokens, OTPs: what a guesser or an OTP-bomber targets) count in PostgreSQL, so the
 * limit holds however many instances run behind the load balancer. Every other route counts in
 * this instance's memory, in O(1) per request: that limit protects the
 * instance itself from one noisy client, and a database write on every request would cost more
 * than it protects.
 */
@Injectable()
export class RateLimitCounters implements OnModuleDestroy {
  private readonly local = new Map<string, { hits: number; windowEndsAt: number }>();
  private readonly prune: NodeJS.Timeout;

  constructor(@InjectDataSource() private readonly db: DataSource) {
    this.prune = setInterval(() => {
      this.db.query(`DELETE FROM rate_limit_counters WHERE window_ends_at < now() - interval '1 minute'`).catch(() => undefined);
      const now = Date.now();
      for (const [key, window] of this.local) if (window.windowEndsAt <= now) this.local.delete(key);
    }, 60_000);
    this.prune.unref();
  }

  /** Counts one request under `key` in a window of `windowMs`: in memory, or shared for SHARED_KEY_PREFIX keys. */
  count(key: string, windowMs: number): RateLimitCount | Promise<RateLimitCount> {
    return key.startsWith(SHARED_KEY_PREFIX) ? this.countShared(key, windowMs) : this.countHere(key, windowMs);
  }

  private async countShared(key: string, windowMs: number): Promise<RateLimitCount> {
    const rows: { hits: number; seconds_left: number }[] = await this.db.query(
      // The clock at the statement, not at the start of its transaction: under a burst another
      // request's window may have been opened after this transaction began.
      `INSERT INTO rate_limit_counters AS c (key, hits, window_ends_at) VALUES ($1, 1, clock_timestamp() + make_interval(secs => $2::float8 / 1000))
       ON CONFLICT (key) DO UPDATE SET
         hits = CASE WHEN c.window_ends_at <= clock_timestamp() THEN 1 ELSE c.hits + 1 END,
         window_ends_at = CASE WHEN c.window_ends_at <= clock_timestamp() THEN EXCLUDED.window_ends_at ELSE c.window_ends_at END
       RETURNING hits, least(ceil($2::float8 / 1000), greatest(1, ceil(extract(epoch FROM window_ends_at - clock_timestamp()))))::int AS seconds_left`,
      [key, windowMs],
    );
    return { hits: rows[0].hits, secondsLeft: rows[0].seconds_left };
  }

  private countHere(key: string, windowMs: number): RateLimitCount {
    const now = Date.now();
    let window = this.local.get(key);
    if (window === undefined || window.windowEndsAt <= now) {
      window = { hits: 0, windowEndsAt: now + windowMs };
      this.local.set(key, window);
    }
    window.hits++;
    return { hits: window.hits, secondsLeft: Math.max(1, Math.ceil((window.windowEndsAt - now) / 1000)) };
  }

  onModuleDestroy(): void {
    clearInterval(this.prune);
    this.local.clear();
  }
}
