import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Control, ControlRouter } from './control';
import { FaultInjector } from './faults';
import { ChannelRouter } from './handlers/channels';
import { Notifier } from './notifier';
import type { SimulatorOptions } from './options';
import { Pages } from './pages';
import type { EndpointDef, EndpointName } from './paths';
import { SimServer } from './server';
import { SnapGate } from './snap-gate';
import { Sim } from './sim';
import type { Store } from './store';
import { TokenService } from './tokens';

export type { SimulatorOptions, PartnerRegistration, NotificationSettings, SimulatorClock } from './options';
export type { FaultRule, FaultType, FaultTarget } from './faults';
export type { EndpointName, EndpointDef, ChannelEndpointName } from './paths';
export { ChannelRouter, KKI_DEFAULT_PATHS } from './handlers/channels';
export { SAMPLE_CARD, KKI_CONFIRM_PAGE } from './handlers/kki/kki';
export { CHECKOUT_PATHS } from './handlers/checkout/checkout';
export type { Store } from './store';
export { Control, ControlError } from './control';
export { DEFAULT_ENDPOINTS, ENDPOINT_NAMES, PAGE_PATHS, DEFAULT_NOTIFY_PATH } from './paths';
export { TEST_BANK_ACCOUNTS } from './store';
export { SIMULATOR_PROFILES, SIMULATOR_PROFILE_NAMES, type SimulatorProfile } from './profiles';
export { defaultPartnersFile, repoRoot } from './options';

export interface SimulatorHandle {
  /** Base URL to call it on, e.g. `http://127.0.0.1:4010` (a wildcard host becomes the loopback address). */
  url: string;
  /** Base of the page links it hands out: `publicUrl` when given, else `url`. */
  publicUrl: string;
  port: number;
  close(): Promise<void>;
  /** The live in-memory state (read it in tests; change it through `control`). */
  state: Store;
  /** The operations of the `/_sim` control API, callable directly (available even when the HTTP control API is off). */
  control: Control;
  /** DOKU's other channels: KKI cards and the DOKU e-Wallet checkout (state and actions, as the control API has them). */
  channels: ChannelRouter;
  /** Endpoint map in use (paths after overrides). */
  endpoints: Readonly<Record<EndpointName, EndpointDef>>;
  /** DOKU's public key, to verify tokens and notifications the simulator signs (the current one after `control.setDokuKey`). */
  dokuPublicKeyPem: string;
  /** The seed in use (printed in the start line). */
  seed: string;
}

/**
 * How a URL names the listening host. Listening on every interface (0.0.0.0, ::) is not an address
 * anyone can open: links then name the loopback address (set `publicUrl` for other machines).
 */
export function urlHost(host: string): string {
  if (host === '' || host === '0.0.0.0') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** Starts a DOKU Wallet simulator (docs/doku-integration.md). Resolves once it listens. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const sim = new Sim(options);
  const tokens = new TokenService(sim);
  const faults = new FaultInjector(sim.seed);
  const notifier = new Notifier(sim, faults);
  const gate = new SnapGate(sim, tokens);
  const channels = new ChannelRouter(sim, tokens, faults, gate, {
    kki: options.kki,
    checkout: { clients: options.checkout?.clients ?? sim.checkoutClients, notify: options.checkout?.notify },
  });
  const control = new Control(sim, tokens, notifier, faults, () => {
    gate.reset();
    channels.reset();
  });
  const simServer: SimServer = new SimServer(sim, tokens, notifier, faults, gate, {
    control: sim.settings.controlApi ? new ControlRouter(control) : undefined,
    pages: new Pages(sim, notifier),
    channels,
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
  const url = `http://${urlHost(host)}:${port}`;
  sim.publicUrl = (options.publicUrl ?? url).replace(/\/+$/, '');
  let closing: Promise<void> | undefined;
  return {
    url,
    publicUrl: sim.publicUrl,
    port,
    state: sim.store,
    control,
    endpoints: sim.endpoints,
    channels,
    get dokuPublicKeyPem() {
      return sim.dokuPublicKeyPem;
    },
    seed: sim.seed,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        notifier.close();
        channels.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
