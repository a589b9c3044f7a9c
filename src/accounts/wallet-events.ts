import type { NewOutboxEvent } from '../outbox/outbox.repository';
import type { BindingStatus, WalletBinding } from './entities/wallet-binding.entity';
import type { RegistrationStatus, WalletRegistration } from './entities/wallet-registration.entity';
import { maskAccountId, maskPhone } from './wallet-masking';

/**
 * Outbox events of the wallet lifecycle, for the partner's systems (webhooks, GET /v1/events).
 * Payloads carry states and masked identifiers only: no tokens, OTPs, authCodes or full account ids.
 */
export function registrationChangedEvent(r: WalletRegistration, previousStatus: RegistrationStatus | null): NewOutboxEvent {
  return {
    type: 'wallet.registration_changed',
    aggregateType: 'wallet_registration',
    aggregateId: r.id,
    userId: r.userId,
    payload: {
      registrationId: r.id,
      userId: r.userId,
      status: r.status,
      previousStatus,
      accountId: maskAccountId(r.dokuAccountId),
      phone: maskPhone(r.phone),
      failureCode: r.failureCode,
    },
  };
}

export function bindingChangedEvent(
  b: WalletBinding,
  previousStatus: BindingStatus | null,
  options: { needsRebinding?: boolean } = {},
): NewOutboxEvent {
  return {
    type: 'wallet.binding_changed',
    aggregateType: 'wallet_binding',
    aggregateId: b.id,
    userId: b.userId,
    payload: {
      bindingId: b.id,
      userId: b.userId,
      status: b.status,
      previousStatus,
      // The binding still exists, but DOKU refused every customer token: the user must bind again.
      needsRebinding: options.needsRebinding ?? false,
      failureReason: b.failureReason ?? null,
      accountId: maskAccountId(b.dokuAccountId),
      boundAt: b.boundAt ? b.boundAt.toISOString() : null,
      unboundAt: b.unboundAt ? b.unboundAt.toISOString() : null,
    },
  };
}
