/**
 * Calls to the backend from the console. The session lives in httpOnly cookies the page cannot
 * read; the page keeps only the CSRF token the session route gives it, and sends it with every call.
 */
export type Role = 'admin' | 'support' | 'finance';

export interface SessionUser {
  id: string;
  name: string;
  email: string;
  role: Role;
}

interface Session {
  user: SessionUser;
  csrfToken: string;
}

let session: Session | null = null;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
  }
}

async function parse(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function failure(response: Response, body: unknown): ApiError {
  const error = (body as { error?: { code?: string; message?: string } } | null)?.error;
  return new ApiError(response.status, error?.code, error?.message ?? `The server answered ${response.status}`, body);
}

export function currentSession(): Session | null {
  return session;
}

/** Asks the server who is signed in (the cookie), renewing the session from the refresh cookie if needed. */
export async function loadSession(): Promise<Session> {
  const response = await fetch('/admin/api/session', { credentials: 'same-origin' });
  const body = await parse(response);
  if (!response.ok) {
    session = null;
    throw failure(response, body);
  }
  session = body as Session;
  return session;
}

export async function signIn(email: string, password: string): Promise<Session> {
  const response = await fetch('/admin/api/session', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  const body = await parse(response);
  if (!response.ok) throw failure(response, body);
  session = body as Session;
  return session;
}

export async function signOut(): Promise<void> {
  if (session) await call('DELETE', '/admin/api/session').catch(() => undefined);
  session = null;
}

export interface CallOptions {
  body?: unknown;
  idempotencyKey?: string;
}

/** One call to the back-office API with the session's CSRF token; the answer's JSON, or an ApiError. */
export async function call<T = unknown>(method: string, path: string, options: CallOptions = {}): Promise<T> {
  if (!session) await loadSession();
  const send = () =>
    fetch(path, {
      method,
      credentials: 'same-origin',
      headers: {
        'x-csrf-token': session?.csrfToken ?? '',
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {}),
      },
      body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
    });
  let response = await send();
  if (response.status === 401) {
    // The access cookie may have expired: renew it once from the refresh cookie, then try again.
    await loadSession();
    response = await send();
  }
  const body = await parse(response);
  if (!response.ok) throw failure(response, body);
  return body as T;
}

/** A query string of the parameters that have a value (strings, numbers, booleans; anything else is left out). */
export function query(params: Record<string, unknown>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if ((typeof value === 'string' && value !== '') || typeof value === 'number' || typeof value === 'boolean') search.set(key, `${value}`);
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** A fresh idempotency key (random, 128 bits). */
export function newKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `console-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
