import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AddressInfo } from 'node:net';
import type { DestinationStream } from 'pino';
import request from 'supertest';
import { createApp } from '../../src/bootstrap';
import type { AppConfig } from '../../src/config/config.types';
import { loadConfig } from '../../src/config/load-config';
import { createTestDatabase } from './test-database';
import { describeSlowClose } from './slow-close';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  /** Base URL of the app listening on 127.0.0.1 (for callers that need real HTTP). */
  url: string;
  databaseUrl: string;
  http: () => ReturnType<typeof request>;
  close: () => Promise<void>;
}

export interface TestAppOptions {
  /** Where the app's JSON logs go instead of stdout. */
  logDestination?: DestinationStream;
}

/**
 * The real application on its own fresh database, listening on a random local port.
 * `env` overrides configuration exactly as environment variables would.
 */
export async function startTestApp(env: Record<string, string> = {}, databaseUrl?: string, options: TestAppOptions = {}): Promise<TestApp> {
  const db = databaseUrl ? { url: databaseUrl, drop: async () => undefined } : await createTestDatabase();
  const config = loadConfig({
    NODE_ENV: 'test',
    RATE_LIMIT_PER_MINUTE: '100000',
    RATE_LIMIT_SENSITIVE_PER_MINUTE: '100000',
    SIMULATOR_AUTOSTART: 'false',
    ...env,
  });
  const app = await createApp(config, db.url, { runMigrations: false, logDestination: options.logDestination }).catch(
    async (e: unknown) => {
      await db.drop();
      throw e;
    },
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.getHttpServer().address() as AddressInfo;
  return {
    app,
    config,
    url: `http://127.0.0.1:${port}`,
    databaseUrl: db.url,
    http: () => request(app.getHttpServer()),
    close: async () => {
      await closeWatched(app, db.url);
      await db.drop();
    },
  };
}

/** A close that takes longer than this says what it is waiting on (it is not cut short). */
const SLOW_CLOSE_MS = 10_000;

/**
 * Closes the app; if that takes over SLOW_CLOSE_MS, prints once what the process still holds and
 * what the app's database sessions are doing, so a shutdown that hangs names its cause in the log.
 */
async function closeWatched(app: NestFastifyApplication, databaseUrl: string): Promise<void> {
  const watch = setTimeout(() => {
    void describeSlowClose(databaseUrl, SLOW_CLOSE_MS).then((text) => process.stderr.write(text));
  }, SLOW_CLOSE_MS);
  try {
    await app.close();
  } finally {
    clearTimeout(watch);
  }
}
