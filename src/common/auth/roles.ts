/** Who a signed-in person is to the partner: a mobile user, or a member of the back office. */
export const USER_ROLES = ['user', 'admin', 'support', 'finance'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** What an internal service's client may do (OAuth2 client-credentials scopes). */
export const SERVICE_SCOPES = ['purchases:write', 'topups:write', 'refunds:write', 'wallets:read', 'events:read'] as const;
export type ServiceScope = (typeof SERVICE_SCOPES)[number];
