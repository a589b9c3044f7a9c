import type { ExecutionContext } from '@nestjs/common';
import { createParamDecorator } from '@nestjs/common';
import { userInfo } from 'node:os';
import type { Principal } from '../common/auth/principal';
import type { AuditActor } from './audit-chain';

interface ActorRequest {
  id?: string;
  ip?: string;
  headers: Record<string, string | string[] | undefined>;
  principal?: Principal;
}

/** Who made this request and from where (the client's address as the trusted proxies give it). */
export function actorOfRequest(request: ActorRequest): AuditActor {
  const principal = request.principal;
  const agent = request.headers['user-agent'];
  return {
    kind: principal?.kind === 'service' ? 'service' : 'user',
    id: principal ? (principal.kind === 'user' ? principal.userId : principal.clientId) : null,
    role: principal?.kind === 'user' ? principal.role : null,
    ip: request.ip ?? null,
    userAgent: typeof agent === 'string' ? agent.slice(0, 512) : null,
    requestId: request.id ?? null,
  };
}

/** The audit actor of the current request, for a back-office route's service call. */
export const Actor = createParamDecorator((_: unknown, ctx: ExecutionContext): AuditActor => {
  return actorOfRequest(ctx.switchToHttp().getRequest<ActorRequest>());
});

/** An operator at the command line: the operating-system login that ran the command. */
export function cliActor(env: Record<string, string | undefined> = process.env): AuditActor {
  let login = env.AUDIT_OPERATOR || env.USER || env.LOGNAME || null;
  if (!login) {
    try {
      login = userInfo().username;
    } catch {
      login = null;
    }
  }
  return { kind: 'cli', id: login, role: null, ip: null, userAgent: 'cli', requestId: null };
}

/** The application itself, acting on its own schedule: `job` names what acted (e.g. `retention`). */
export function systemActor(job: string): AuditActor {
  return { kind: 'system', id: job, role: null, ip: null, userAgent: null, requestId: null };
}
