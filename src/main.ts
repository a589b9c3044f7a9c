// First: on Node 22 this may restart the process with a flag (runtime/async-context-frame.ts).
import './runtime/restart';
import 'reflect-metadata';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { createApp } from './bootstrap';
import { ConfigError } from './config/load-config';
import { readConfig } from './config/read-config';
import type { AppConfig } from './config/config.types';
import type { EmbeddedPostgresHandle } from './database/embedded-postgres';
import { startEmbeddedPostgres } from './database/embedded-postgres';

const log = pino({ name: 'boot', level: process.env.LOG_LEVEL ?? 'info' });

/**
 * In development with no DOKU base URL, the DOKU simulator runs beside the backend as its own
 * process (it shares no code with the backend), and the backend talks to it over HTTP.
 */
function startSimulator(config: AppConfig): ChildProcess | undefined {
  const entry = join(__dirname, '..', 'simulator', 'src', 'main.js');
  if (!existsSync(entry)) {
    log.warn({ entry }, 'simulator not built; DOKU calls will fail until DOKU_BASE_URL is set');
    return undefined;
  }
  const child = spawn(process.execPath, [entry], {
    env: {
      ...process.env,
      SIMULATOR_PORT: String(config.simulator.port),
      SIMULATOR_HOST: config.simulator.host,
      SIMULATOR_CONTROL_API: String(config.simulator.controlApiEnabled),
      SIMULATOR_NOTIFY_BASE_URL: config.app.publicBaseUrl,
      // The base of the page links it hands out, which we pass on to phones (unset: its own URL).
      ...(config.simulator.publicUrl ? { SIMULATOR_PUBLIC_URL: config.simulator.publicUrl } : {}),
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  config.doku.baseUrl = config.simulator.url;
  log.info(
    { url: config.doku.baseUrl, pages: config.simulator.publicUrl ?? config.simulator.url },
    'DOKU simulator started alongside the backend',
  );
  return child;
}

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = (await readConfig()).config;
  } catch (e) {
    if (e instanceof ConfigError) {
      log.fatal(e.message);
      process.exit(78);
    }
    throw e;
  }

  let embedded: EmbeddedPostgresHandle | undefined;
  let databaseUrl = config.database.url;
  if (!databaseUrl) {
    embedded = await startEmbeddedPostgres({
      dataDir: config.database.embedded.dataDir,
      port: config.database.embedded.port,
      log: (m) => log.debug(m),
    });
    log.info({ dataDir: embedded.dataDir, port: embedded.port, reused: embedded.reused }, 'embedded PostgreSQL ready');
    databaseUrl = embedded.url;
  }

  const simulator = config.simulator.autoStart ? startSimulator(config) : undefined;
  const app = await createApp(config, databaseUrl);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await app.close().catch((e: unknown) => log.error({ err: e }, 'error while closing the app'));
    simulator?.kill('SIGTERM');
    await embedded?.stop().catch((e: unknown) => log.error({ err: e }, 'error while stopping PostgreSQL'));
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  await app.listen({ port: config.app.port, host: config.app.host });
  log.info(
    { url: `http://127.0.0.1:${config.app.port}`, docs: `http://127.0.0.1:${config.app.port}/docs`, doku: config.doku.baseUrl },
    'DOKU Wallet partner backend listening',
  );
}

main().catch((e: unknown) => {
  log.fatal({ err: e }, 'failed to start');
  process.exit(1);
});
