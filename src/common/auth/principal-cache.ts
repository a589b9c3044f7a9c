import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Client, type Notification } from 'pg';
import type { DataSource } from 'typeorm';
import { AppConfigService } from '../../config/app-config.service';
import type { ServiceScope, UserRole } from './roles';

interface Entry<T> {
  value: T;
  expiresAt: number;
  /** What a notice names to drop this entry: `session:<id>`, `user:<id>`, `client:<id>`. */
  names: string[];
}

/** A read of a principal under way, which requests that miss the same entry may wait for. */
interface Flight {
  generation: number;
  startedAt: number;
  value: Promise<unknown>;
}

/** How long a read under way may be joined by requests that miss the same entry. */
const JOIN_READ_MS = 1_000;

/**
 * The principals this instance checked lately (a live session's user role, a service client's
 * scopes), so that a request need not read them again: the check that used to cost a query on
 * every request.
 *
 * Never stale for long: PostgreSQL triggers announce every change that ends a principal (a session
 * revoked, a role or active flag changed, a client rotated, rescoped or deactivated; by any path,
 * SQL included) on the `principal_changes` channel at commit, and every instance drops what the
 * notice names. The instance that made the change drops it before answering. An entry lives at most
 * PRINCIPAL_CACHE_SECONDS even if a notice were lost; while the listening connection is down, the
 * cache is emptied and bypassed, so no entry outlives a gap in notices. A read that raced a notice
 * is not kept.
 */
@Injectable()
export class PrincipalCache implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('PrincipalCache');
  private readonly entries = new Map<string, Entry<unknown>>();
  /** Entry keys by the names notices use. */
  private readonly byName = new Map<string, Set<string>>();
  private listener?: Client;
  private listening = false;
  private stopped = false;
  /** Bumped by every notice: a read that started before one is not cached, nor joined. */
  private generation = 0;
  /** Reads under way, by entry key: requests that miss together wait for one read. */
  private readonly reading = new Map<string, Flight>();
  private readonly ttlMs: number;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    config: AppConfigService,
  ) {
    this.ttlMs = config.auth.principalCacheSeconds * 1000;
  }

  get enabled(): boolean {
    return this.ttlMs > 0 && this.listening;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.ttlMs > 0) await this.listen();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.listening = false;
    await this.listener?.end().catch(() => undefined);
  }

  /** The live session's current role, from memory or from `read`. */
  sessionRole(sessionId: string, userId: string, read: () => Promise<UserRole | null>): Promise<UserRole | null> {
    return this.through(`s:${sessionId}:${userId}`, [`session:${sessionId}`, `user:${userId}`], read);
  }

  /** The client's current scopes at this secret version, from memory or from `read`. */
  clientScopes(clientId: string, version: number, read: () => Promise<ServiceScope[] | null>): Promise<ServiceScope[] | null> {
    return this.through(`c:${clientId}:${version}`, [`client:${clientId}`], read);
  }

  /** Drops what a change names, on this instance, at once (the notice does it on the others). */
  forget(name: string): void {
    this.generation++;
    for (const key of this.byName.get(name) ?? []) this.drop(key);
  }

  private async through<T>(key: string, names: string[], read: () => Promise<T | null>): Promise<T | null> {
    if (!this.enabled) return read();
    const hit = this.entries.get(key) as Entry<T> | undefined;
    if (hit && hit.expiresAt > Date.now()) return hit.value;
    if (hit) this.drop(key);
    const generation = this.generation;
    // A read started since the last notice answers this request too: when an entry expires under
    // load, the requests that find it gone together read it once, not once each. A read started
    // before a notice is never joined: the notice may be about this very principal.
    // Nor one older than JOIN_READ_MS: a read stuck on its connection holds up only the requests
    // that came while it was young, and the next ones read again.
    const underWay = this.reading.get(key);
    if (underWay && underWay.generation === generation && Date.now() - underWay.startedAt < JOIN_READ_MS) {
      return underWay.value as Promise<T | null>;
    }
    const value = this.readAndKeep(key, names, read, generation);
    const flight: Flight = { generation, startedAt: Date.now(), value };
    this.reading.set(key, flight);
    void value.then(
      () => this.readDone(key, flight),
      () => this.readDone(key, flight),
    );
    return value;
  }

  private readDone(key: string, flight: Flight): void {
    if (this.reading.get(key) === flight) this.reading.delete(key);
  }

  private async readAndKeep<T>(key: string, names: string[], read: () => Promise<T | null>, generation: number): Promise<T | null> {
    const value = await read();
    // Only live principals are kept; a notice that arrived during the read may concern this one.
    if (value !== null && generation === this.generation && this.enabled) {
      this.entries.set(key, { value, expiresAt: Date.now() + this.ttlMs, names });
      for (const name of names) {
        let keys = this.byName.get(name);
        if (!keys) this.byName.set(name, (keys = new Set()));
        keys.add(key);
      }
    }
    return value;
  }

  private drop(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    for (const name of entry.names) {
      const keys = this.byName.get(name);
      keys?.delete(key);
      if (keys?.size === 0) this.byName.delete(name);
    }
  }

  private clear(): void {
    this.generation++;
    this.entries.clear();
    this.byName.clear();
  }

  private async listen(): Promise<void> {
    // The data source is built from one URL (src/database/database-options.ts).
    const { url } = this.db.options as { url?: string };
    const client = new Client({ connectionString: url, application_name: 'principal-cache' });
    const lost = (why: unknown) => {
      if (this.listener !== client) return;
      this.listening = false;
      this.listener = undefined;
      this.clear();
      client.end().catch(() => undefined);
      if (this.stopped) return;
      this.log.warn(`principal notices lost (${String(why)}); checking every request until they are back`);
      setTimeout(() => void this.listen(), 1_000).unref();
    };
    try {
      this.listener = client;
      client.on('error', lost);
      client.on('end', () => lost('connection ended'));
      client.on('notification', (n: Notification) => {
        if (n.channel === 'principal_changes' && n.payload) this.forget(n.payload);
      });
      await client.connect();
      await client.query('LISTEN principal_changes');
      // Anything cached before (there is nothing at start) could have missed notices.
      this.clear();
      this.listening = true;
    } catch (e) {
      lost(e instanceof Error ? e.message : e);
    }
  }
}
