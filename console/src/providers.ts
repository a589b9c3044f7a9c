import type { AuthProvider, DataProvider, GetListParams, RaRecord } from 'react-admin';
import { ApiError, call, currentSession, loadSession, query, signIn, signOut } from './api';

interface Page<T> {
  items: T[];
  total: number;
}

/** Where each resource's list and records are, and how a record is named (its `id`). */
interface ResourceApi {
  list: (params: GetListParams) => Promise<{ data: RaRecord[]; total: number }>;
  one?: (id: string) => Promise<RaRecord>;
}

const paged = (params: GetListParams) => ({ page: params.pagination?.page ?? 1, pageSize: Math.min(params.pagination?.perPage ?? 20, 50) });

/** From the date inputs (YYYY-MM-DD) to the API's times: the day's start, and the next day's start for `to`. */
const dayStart = (day: unknown) => (typeof day === 'string' && day ? new Date(`${day}T00:00:00`).toISOString() : undefined);
const dayAfter = (day: unknown) => {
  if (typeof day !== 'string' || !day) return undefined;
  const d = new Date(`${day}T00:00:00`);
  d.setDate(d.getDate() + 1);
  return d.toISOString();
};

async function page(path: string, params: Record<string, unknown>, idOf?: (r: Record<string, unknown>) => string) {
  const res = await call<Page<Record<string, unknown>>>('GET', `${path}${query(params)}`);
  return { data: res.items.map((r) => ({ ...r, id: idOf ? idOf(r) : (r.id as string) })), total: res.total };
}

const transactionsList = (extra: Record<string, unknown>) => (params: GetListParams) => {
  const f = params.filter as Record<string, unknown>;
  return page('/v1/admin/transactions', {
    ...paged(params),
    status: f.status,
    type: f.type,
    paymentMethod: f.paymentMethod,
    userId: f.userId,
    dokuDisagrees: f.dokuDisagrees,
    minAmount: f.minAmount,
    maxAmount: f.maxAmount,
    from: dayStart(f.from),
    to: dayAfter(f.to),
    ...extra,
  });
};

const RESOURCES: Record<string, ResourceApi> = {
  customers: {
    list: (params) => page('/v1/admin/users', { ...paged(params), query: (params.filter as { q?: string }).q, staff: 'false' }),
    one: async (id) => call<RaRecord>('GET', `/v1/admin/users/${encodeURIComponent(id)}`),
  },
  staff: {
    list: (params) =>
      page('/v1/admin/users', {
        ...paged(params),
        query: (params.filter as { q?: string }).q,
        role: (params.filter as { role?: string }).role,
        // A search finds anyone (to give a customer a back-office role); otherwise the staff only.
        staff: (params.filter as { q?: string }).q ? undefined : 'true',
      }),
    one: async (id) => call<RaRecord>('GET', `/v1/admin/users/${encodeURIComponent(id)}`),
  },
  transactions: {
    list: transactionsList({}),
    one: async (id) => call<RaRecord>('GET', `/v1/admin/transactions/${encodeURIComponent(id)}`),
  },
  attention: {
    list: transactionsList({ attention: 'true' }),
    one: async (id) => call<RaRecord>('GET', `/v1/admin/transactions/${encodeURIComponent(id)}`),
  },
  approvals: {
    list: (params) => {
      const f = params.filter as Record<string, unknown>;
      return page('/v1/admin/approvals', { ...paged(params), status: f.status, kind: f.kind });
    },
    one: async (id) => call<RaRecord>('GET', `/v1/admin/approvals/${encodeURIComponent(id)}`),
  },
  audit: {
    list: (params) => {
      const f = params.filter as Record<string, unknown>;
      return page(
        '/v1/admin/audit',
        {
          ...paged(params),
          action: f.action,
          actorId: f.actorId,
          targetType: f.targetType,
          targetId: f.targetId,
          from: dayStart(f.from),
          to: dayAfter(f.to),
        },
        (r) => String(r.seq),
      );
    },
  },
  webhooks: {
    list: async () => {
      const res = await call<{ subscriptions: RaRecord[] }>('GET', '/v1/admin/webhooks');
      return { data: res.subscriptions, total: res.subscriptions.length };
    },
    one: async (id) => {
      const res = await call<{ subscriptions: RaRecord[] }>('GET', '/v1/admin/webhooks');
      const found = res.subscriptions.find((s) => s.id === id);
      if (!found) throw new ApiError(404, 'WEBHOOK.NOT_FOUND', 'No such subscription', null);
      return found;
    },
  },
  'service-clients': {
    list: async () => {
      const res = await call<{ clients: Array<Record<string, unknown>> }>('GET', '/v1/admin/service-clients');
      const data = res.clients.map((c) => ({ ...c, id: c.clientId as string }));
      return { data, total: data.length };
    },
  },
};

function api(resource: string): ResourceApi {
  const found = RESOURCES[resource];
  if (!found) throw new Error(`Unknown resource ${resource}`);
  return found;
}

const readOnly = () => Promise.reject(new Error('Use the actions on the record'));

/** react-admin's view of the back-office API: lists and records; actions are explicit buttons. */
export const dataProvider: DataProvider = {
  getList: async (resource, params) => {
    const { data, total } = await api(resource).list(params);
    return { data, total } as never;
  },
  getOne: async (resource, params) => {
    const one = api(resource).one;
    if (!one) throw new Error(`No detail for ${resource}`);
    const record = await one(String(params.id));
    return { data: { ...record, id: params.id } } as never;
  },
  getMany: async (resource, params) => {
    const one = api(resource).one;
    if (!one) return { data: [] };
    const data: RaRecord[] = await Promise.all(params.ids.map(async (id) => ({ ...(await one(String(id))), id })));
    return { data } as never;
  },
  getManyReference: async (resource, params) => {
    const { data, total } = await api(resource).list({
      pagination: params.pagination,
      sort: params.sort,
      filter: { ...(params.filter as Record<string, unknown>), [params.target]: params.id },
    });
    return { data, total } as never;
  },
  create: readOnly,
  update: readOnly,
  updateMany: readOnly,
  delete: readOnly,
  deleteMany: readOnly,
};

export const authProvider: AuthProvider = {
  login: async ({ username, password }: { username: string; password: string }) => {
    await signIn(username, password);
  },
  logout: async () => {
    await signOut();
  },
  checkAuth: async () => {
    if (!currentSession()) await loadSession();
  },
  // A 401 that survived a renewal (api.ts) means signed out: react-admin shows the sign-in page.
  checkError: (error: { status?: number }) => (error?.status === 401 ? Promise.reject(new Error('Signed out')) : Promise.resolve()),
  // Signed out is no permissions rather than an error (an error is retried before the sign-in page shows).
  getPermissions: async () => (currentSession() ?? (await loadSession().catch(() => null)))?.user.role,
  getIdentity: async () => {
    const session = currentSession() ?? (await loadSession());
    return { id: session.user.id, fullName: `${session.user.name} (${session.user.role})` };
  },
};
