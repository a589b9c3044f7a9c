import type { ServiceScope, UserRole } from './roles';
/** A signed-in person of the partner: a mobile user or a back-office member. */
export interface UserPrincipal {
  kind: 'user';
  userId: string;
  role: UserRole;
  sessionId: string;
}

/** One of the partner's internal services, signed in with client credentials. */
export interface ServicePrincipal {
  kind: 'service';
  clientId: string;
  scopes: ServiceScope[];
}

export type Principal = UserPrincipal | ServicePrincipal;
