import type { DestinationStream } from 'pino';
import { startSimulator, type SimulatorHandle, type SimulatorOptions } from '../../../simulator/src';
import type { TestApp } from '../../support/test-app';
import { startTestApp } from '../../support/test-app';
import type { WalletEnv } from '../../support/wallet-fixtures';
import { BatteryHttp } from './http-client';
import { Tally } from './harness';

export interface ReliabilityEnv extends WalletEnv {
  /** Raw HTTP to the app (127.0.0.1), counting requests and 5xx. */
  http: BatteryHttp;
  /** DOKU API calls the simulator received, by endpoint name (its request log is the ground truth). */
  simCalls: Tally;
  /** Total DOKU API calls the simulator received so far. */
  simCallCount(): number;
}

export interface ReliabilityEnvOptions {
  /** App environment overrides (exactly as environment variables). */
  env?: Record<string, string>;
  /** More overrides that depend on the running simulator (e.g. its DOKU public key). */
  envFromSim?: (sim: SimulatorHandle) => Record<string, string>;
  /** Simulator options (the seed defaults to one derived from the run seed). */
  sim?: SimulatorOptions;
  /** Where the app's JSON logs go instead of stdout. */
  logDestination?: DestinationStream;
  /** Client connections to the app. */
  connections?: number;
  /** Also sees every line of the simulator's request log, parsed (e.g. each call's X-EXTERNAL-ID). */
  onSimLog?: (entry: Record<string, unknown>) => void;
}

/**
 * The simulator and the app wired together like `startWalletEnv` (test/support/wallet-fixtures.ts),
 * with what the battery needs on top: the simulator's request log counted per DOKU endpoint, the
 * app's logs to a stream of the test's choosing, and a counting raw HTTP client. Returns a
 * `WalletEnv`, so `createBoundWallet` and friends work on it.
 */
/**
 * The e-money limits stay on in the battery (their counters are kept and given back under every
 * fault) but without caps: its wallets and amounts are far above Bank Indonesia's figures, and
 * refusals are test/emoney-limits.e2e-spec.ts's business. Every backend a battery starts uses it.
 */
export const UNCAPPED_EMONEY_LIMITS = {
  EMONEY_MAX_BALANCE_UNREGISTERED: 'none',
  EMONEY_MAX_BALANCE_REGISTERED: 'none',
  EMONEY_MONTHLY_INCOMING_LIMIT: 'none',
} as const;

export async function startReliabilityEnv(options: ReliabilityEnvOptions = {}): Promise<ReliabilityEnv> {
  const simCalls = new Tally();
  let total = 0;
  const sim = await startSimulator({
    port: 0,
    ...options.sim,
    log: (line: string) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      const endpoint = entry.endpoint as string | undefined;
      if (endpoint) {
        simCalls.add(endpoint);
        total++;
      }
      options.onSimLog?.(entry);
    },
  });
  let t: TestApp;
  try {
    const env = {
      RATE_LIMIT_PER_MINUTE: '1000000',
      RATE_LIMIT_SENSITIVE_PER_MINUTE: '1000000',
      ...UNCAPPED_EMONEY_LIMITS,
      DOKU_BASE_URL: sim.url,
      ...options.env,
      ...options.envFromSim?.(sim),
    };
    t = await startTestApp(env, undefined, { logDestination: options.logDestination });
  } catch (error) {
    await sim.close();
    throw error;
  }
  // Redirect URLs the app sends to DOKU must lead back to this app (see startWalletEnv).
  if (!options.env?.PUBLIC_BASE_URL) t.config.app.publicBaseUrl = t.url;
  const http = new BatteryHttp(t.url, options.connections);
  return {
    t,
    sim,
    http,
    simCalls,
    simCallCount: () => total,
    close: async () => {
      await http.close();
      await t.close();
      await sim.close();
    },
  };
}

/**
 * For a battery's describe block: the array its tests push their environments into, each closed as
 * soon as its test ends. Kept to the end of the file, several apps' pools held most of PostgreSQL's
 * 100 connections while the other test worker needed some.
 */
export function closedAfterEach(): ReliabilityEnv[] {
  const opened: ReliabilityEnv[] = [];
  afterEach(async () => {
    for (const env of opened.splice(0)) await env.close();
  });
  return opened;
}
