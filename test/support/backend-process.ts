import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** The backend running as its own OS process (test/support/backend-child-runner.js). */
export interface BackendProcess {
  url: string;
  child: ChildProcess;
  /** kill -9: no shutdown hook runs, in-flight requests are abandoned mid-way. */
  kill9(): Promise<void>;
  /** A graceful stop (SIGTERM), for cleanup. */
  stop(): Promise<void>;
}

/**
 * Starts the backend as a child process against `databaseUrl` with `env` (the same variables as
 * production, on top of a quiet test baseline). Resolves once it listens.
 */
export function startBackendProcess(databaseUrl: string, env: Record<string, string>, timeoutMs = 25_000): Promise<BackendProcess> {
  const child = spawn(process.execPath, [join(__dirname, 'backend-child-runner.js')], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      RATE_LIMIT_PER_MINUTE: '100000',
      RATE_LIMIT_SENSITIVE_PER_MINUTE: '100000',
      SIMULATOR_AUTOSTART: 'false',
      DATABASE_URL: databaseUrl,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return new Promise<BackendProcess>((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      void kill('SIGKILL');
      reject(new Error(`backend did not start in ${timeoutMs} ms: ${err.slice(-2000)}`));
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = /BACKEND_READY (\{.*\})/.exec(out);
      if (line) {
        clearTimeout(timer);
        out = '';
        resolve({ url: (JSON.parse(line[1]) as { url: string }).url, child, kill9: () => kill('SIGKILL'), stop: () => kill('SIGTERM') });
      } else if (out.length > 100_000) {
        out = out.slice(-1000);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err = (err + chunk.toString()).slice(-10_000);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`backend exited (${code ?? signal}) before listening: ${err.slice(-2000)}`));
    });
  });
}
