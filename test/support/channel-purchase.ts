import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { SignedInUser } from './actors';
import { serviceToken } from './actors';
import type { WalletEnv } from './wallet-fixtures';

/**
 * What every purchase-channel suite (card, DANA, checkout, wallet purchase and refund) sets up the
 * same way: the backend and the simulator started once for the suite and closed after it, the
 * simulator's faults cleared after each test, a refunds service and an order service token, and the
 * HTTP calls and database reads the suites share. Call it inside the suite's `describe`.
 */
export interface ChannelPurchaseSuite {
  /** The running backend and simulator; read its fields inside tests and hooks (they exist once `beforeAll` ran). */
  env: WalletEnv;
  /** A service token with `refunds:write`. */
  readonly refunder: string;
  /** A service token with `purchases:write` and `wallets:read`. */
  readonly orderService: string;
  http: () => ReturnType<WalletEnv['t']['http']>;
  /** A new idempotency key. */
  key: () => string;
  auth: (token: string) => { authorization: string };
  db: () => DataSource;
  /** POST /v1/purchases as `user`, with `defaults` (the channel's payment method and the like) under the test's body. */
  buyer: (
    defaults?: Record<string, unknown>,
  ) => (
    user: SignedInUser,
    body: Record<string, unknown>,
    idempotencyKey?: string,
  ) => ReturnType<ReturnType<WalletEnv['t']['http']>['post']>;
  getPurchase: (user: SignedInUser, id: string) => ReturnType<ReturnType<WalletEnv['t']['http']>['get']>;
  /** A refund by the refunds service, for the reason every suite gives. */
  refund: (
    userId: string,
    purchaseId: string,
    amount: number,
    idempotencyKey?: string,
  ) => ReturnType<ReturnType<WalletEnv['t']['http']>['post']>;
  /** A reader of the purchase's `transactions` row: the given columns (SQL select list) of the row with that id. */
  rowReader: <T>(columns: string) => (id: string) => Promise<T>;
}

export function useChannelPurchaseSuite(start: () => Promise<WalletEnv>): ChannelPurchaseSuite {
  let started: WalletEnv | undefined;
  let refunder = '';
  let orderService = '';
  const running = (): WalletEnv => {
    if (!started) throw new Error('the suite has not started (use it inside tests and hooks)');
    return started;
  };

  beforeAll(async () => {
    started = await start();
    refunder = (await serviceToken(started.t, ['refunds:write'])).token;
    orderService = (await serviceToken(started.t, ['purchases:write', 'wallets:read'])).token;
  });
  afterAll(async () => {
    await started?.close();
  });
  afterEach(() => {
    started?.sim.control.clearFaults();
  });

  const env: WalletEnv = {
    get t() {
      return running().t;
    },
    get sim() {
      return running().sim;
    },
    close: () => running().close(),
  };
  const http = () => env.t.http();
  const key = () => `key-${randomUUID()}`;
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });
  const db = () => env.t.app.get(DataSource);

  return {
    env,
    get refunder() {
      return refunder;
    },
    get orderService() {
      return orderService;
    },
    http,
    key,
    auth,
    db,
    buyer:
      (defaults = {}) =>
      (user, body, idempotencyKey = key()) =>
        http()
          .post('/v1/purchases')
          .set(auth(user.accessToken))
          .set('idempotency-key', idempotencyKey)
          .send({ ...defaults, ...body }),
    getPurchase: (user, id) => http().get(`/v1/purchases/${id}`).set(auth(user.accessToken)),
    refund: (userId, purchaseId, amount, idempotencyKey = key()) =>
      http()
        .post(`/v1/users/${userId}/purchases/${purchaseId}/refunds`)
        .set(auth(refunder))
        .set('idempotency-key', idempotencyKey)
        .send({ amount, reason: 'Item out of stock' }),
    rowReader:
      <T>(columns: string) =>
      async (id: string): Promise<T> =>
        (await db().query<T[]>(`SELECT ${columns} FROM transactions WHERE id = $1`, [id]))[0],
  };
}
