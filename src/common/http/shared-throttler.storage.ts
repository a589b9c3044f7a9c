import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { ThrottlerStorage } from '@nestjs/throttler';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** Keys of the sensitive routes' counters start with this (rateLimitOptions' key generator). */
export const SHARED_KEY_PREFIX = 'sensitive:';

/**
 * Where the rate limiter counts. The sensitive routes (sign-in, registration, tokens, OTPs: what a
 * guesser or an OTP-bomber targets) count in PostgreSQL, one fixed window per route and client
 * address, so the limit holds however many instances run behind the load balancer. Every other
 * route counts in this instance's memory: that limit protects the instance itself from one noisy
 * client, and a database write on every request would cost more than it protects.
 */
/** What the throttler needs to know of a count: over the limit until the window ends. */
function record(hits: number, secondsLeft: number, limit: number) {
  const isBlocked = hits > limit;
  return { totalHits: hits, timeToExpire: secondsLeft, isBlocked, timeToBlockExpire: isBlocked ? secondsLeft : 0 };
}

@Injectable()
export class SharedThrottlerStorage implements ThrottlerStorage, OnModuleDestroy {
  /**
   * This instance's counters: one fixed window per key, O(1) per request. (The library's own store
   * keeps every hit's expiry and filters them on each request: with one busy caller, such as an
   * internal service sending every purchase from one address, that is thousands of entries walked
   * per request.)
   */
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

  async increment(key: string, ttl: number, limit: number) {
    if (!key.startsWith(SHARED_KEY_PREFIX)) return this.countHere(key, ttl, limit);
    const rows: { hits: number; seconds_left: number }[] = await this.db.query(
      // The clock at the statement, not at the start of its transaction: under a burst another
      // request's window may have been opened after this transaction began.
      `INSERT INTO rate_limit_counters AS c (key, hits, window_ends_at) VALUES ($1, 1, clock_timestamp() + make_interval(secs => $2::float8 / 1000))
       ON CONFLICT (key) DO UPDATE SET
         hits = CASE WHEN c.window_ends_at <= clock_timestamp() THEN 1 ELSE c.hits + 1 END,
         window_ends_at = CASE WHEN c.window_ends_at <= clock_timestamp() THEN EXCLUDED.window_ends_at ELSE c.window_ends_at END
       RETURNING hits, least(ceil($2::float8 / 1000), greatest(1, ceil(extract(epoch FROM window_ends_at - clock_timestamp()))))::int AS seconds_left`,
      [key, ttl],
    );
    return record(rows[0].hits, rows[0].seconds_left, limit);
  }

  private countHere(key: string, ttl: number, limit: number) {
    const now = Date.now();
    let window = this.local.get(key);
    if (window === undefined || window.windowEndsAt <= now) {
      window = { hits: 0, windowEndsAt: now + ttl };
      this.local.set(key, window);
    }
    window.hits++;
    return record(window.hits, Math.max(1, Math.ceil((window.windowEndsAt - now) / 1000)), limit);
  }

  onModuleDestroy(): void {
    clearInterval(this.prune);
    this.local.clear();
  }
}
