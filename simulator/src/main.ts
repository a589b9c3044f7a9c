import { resolve } from 'node:path';
import { startSimulator } from './index';
import { defaultPartnersFile, repoRoot } from './options';

/** `npm run simulator`: starts the simulator from environment variables (README lists them). */
function env(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : v;
}

function bool(name: string, fallback: boolean): boolean {
  const v = env(name);
  if (v === undefined) return fallback;
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw new Error(`${name} must be true or false`);
}

function int(name: string, fallback: number, min: number, max: number): number {
  const v = env(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be an integer in ${min}..${max}`);
  return n;
}

async function main(): Promise<void> {
  const production = process.env.NODE_ENV === 'production';
  const partnersFile = env('SIMULATOR_PARTNERS_FILE');
  const notifyBase = env('SIMULATOR_NOTIFY_BASE_URL');
  const handle = await startSimulator({
    port: int('SIMULATOR_PORT', 4010, 0, 65535),
    host: env('SIMULATOR_HOST') ?? '127.0.0.1',
    publicUrl: env('SIMULATOR_PUBLIC_URL'),
    partnersFile: partnersFile ? resolve(repoRoot(), partnersFile) : defaultPartnersFile(),
    tokenTtlSeconds: int('SIMULATOR_TOKEN_TTL_SECONDS', 900, 1, 86_400),
    timestampSkewSeconds: int('SIMULATOR_TIMESTAMP_SKEW_SECONDS', 300, 0, 86_400),
    seed: env('SIMULATOR_SEED'),
    controlApi: bool('SIMULATOR_CONTROL_API', !production),
    otp: env('SIMULATOR_FIXED_OTP') ? { fixed: env('SIMULATOR_FIXED_OTP') } : undefined,
    unbindingOtp: bool('SIMULATOR_UNBINDING_OTP', true),
    notifications: notifyBase
      ? {
          enabled: bool('SIMULATOR_NOTIFY_ENABLED', true),
          baseUrl: notifyBase,
          path: env('SIMULATOR_NOTIFY_PATH'),
          signature: env('SIMULATOR_NOTIFY_SIGNATURE') === 'asymmetric' ? 'asymmetric' : 'symmetric',
        }
      : undefined,
    log: true,
  });
  process.stdout.write(
    `${JSON.stringify({ time: new Date().toISOString(), service: 'doku-simulator', msg: 'listening', url: handle.url, seed: handle.seed, profiles: handle.control.profiles().profiles, controlApi: bool('SIMULATOR_CONTROL_API', !production) })}\n`,
  );
  const stop = (signal: string): void => {
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), service: 'doku-simulator', msg: 'stopping', signal })}\n`);
    handle.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: unknown) => {
  process.stderr.write(`${JSON.stringify({ service: 'doku-simulator', msg: 'failed to start', error: e instanceof Error ? e.message : String(e) })}\n`);
  process.exit(1);
});
