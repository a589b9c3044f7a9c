import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Control, ControlRouter } from './control';
import { FaultInjector } from './faults';
import { Notifier } from './notifier';
import type { SimulatorOptions } from './options';
import { Pages } from './pages';
import type { EndpointDef, EndpointName } from './paths';
import { SimServer } from './server';
import { Sim } from './sim';
import type { Store } from './store';
import { TokenService } from './tokens';

export type { SimulatorOptions, PartnerRegistration, NotificationSettings, SimulatorClock } from './options';
export type { FaultRule, FaultType, FaultTarget } from './faults';
export type { EndpointName, EndpointDef } from './paths';
export type { Store } from './store';
export { Control, ControlError } from './control';
export { DEFAULT_ENDPOINTS, ENDPOINT_NAMES, PAGE_PATHS, DEFAULT_NOTIFY_PATH } from './paths';
export { TEST_BANK_ACCOUNTS } from './store';
export { SIMULATOR_PROFILES, SIMULATOR_PROFILE_NAMES, type SimulatorProfile } from './profiles';
export { defaultPartnersFile, repoRoot } from './options';

export interface SimulatorHandle {
  /** Base URL, e.g. `http://127.0.0.1:4010`. */
  url: string;
  port: number;
  close(): Promise<void>;
  /** The live in-memory state (read it in tests; change it through `control`). */
  state: Store;
  /** The operations of the `/_sim` control API, callable directly (available even when the HTTP control API is off). */
  control: Control;
  /** Endpoint map in use (paths after overrides). */
  endpoints: Readonly<Record<EndpointName, EndpointDef>>;
  /** DOKU's public key, to verify tokens and notifications the simulator signs. */
  dokuPublicKeyPem: string;
  /** The seed in use (printed in the start line). */
  seed: string;
}

/** Starts a DOKU Wallet simulator (wallet-snap-api.md). Resolves once it listens. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const sim = new Sim(options);
  const tokens = new TokenService(sim);
  const faults = new FaultInjector(sim.seed);
  const notifier = new Notifier(sim, faults);
  let simServer: SimServer | undefined;
  const control = new Control(sim, tokens, notifier, faults, () => simServer?.resetExternalIds());
  simServer = new SimServer(sim, tokens, notifier, faults, {
    control: sim.settings.controlApi ? new ControlRouter(control) : undefined,
    pages: new Pages(sim, notifier),
  });
  const server: Server = createServer(simServer.listener);
  server.keepAliveTimeout = 5000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4010, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  sim.publicUrl = (options.publicUrl ?? url).replace(/\/+$/, '');
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    state: sim.store,
    control,
    endpoints: sim.endpoints,
    dokuPublicKeyPem: sim.dokuPublicKeyPem,
    seed: sim.seed,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        notifier.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
