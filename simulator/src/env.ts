import { resolve } from 'node:path';
import { defaultPartnersFile, repoRoot, type SimulatorOptions } from './options';

type Env = Record<string, string | undefined>;

/** `npm run simulator`'s settings, read from environment variables (README lists them). */
export function simulatorOptionsFromEnv(environment: Env = process.env): SimulatorOptions & { controlApi: boolean } {
  const env = (name: string): string | undefined => {
    const v = environment[name];
    return v === undefined || v === '' ? undefined : v;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const v = env(name);
    if (v === undefined) return fallback;
    if (/^(1|true|yes|on)$/i.test(v)) return true;
    if (/^(0|false|no|off)$/i.test(v)) return false;
    throw new Error(`${name} must be true or false`);
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const v = env(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name} must be an integer in ${min}..${max}`);
    return n;
  };

  const production = environment.NODE_ENV === 'production';
  const publicUrl = env('SIMULATOR_PUBLIC_URL');
  // The links the simulator hands out (PIN and consent pages) are opened by a phone or a browser,
  // which may reach it by another name than its listening address (a container's port mapping).
  if (publicUrl !== undefined && !/^https?:\/\/[^/]+/.test(publicUrl)) {
    throw new Error('SIMULATOR_PUBLIC_URL must be an http(s) URL as browsers reach the simulator, e.g. http://localhost:4010');
  }
  const partnersFile = env('SIMULATOR_PARTNERS_FILE');
  const notifyBase = env('SIMULATOR_NOTIFY_BASE_URL');
  return {
    port: int('SIMULATOR_PORT', 4010, 0, 65535),
    host: env('SIMULATOR_HOST') ?? '127.0.0.1',
    publicUrl,
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
  };
}
