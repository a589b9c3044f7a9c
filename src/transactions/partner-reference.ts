import { randomUUID } from 'node:crypto';

/**
 * A new business reference for DOKU (partnerReferenceNo, partnerRefundNo): a short prefix naming
 * the operation and 32 hex digits, within SNAP's 64 characters
 * (docs/doku-integration.md#business-references). Created once per intent and reused on every retry
 * of it.
 */
export function newPartnerReference(prefix: string): string {
  return `${prefix}-${randomUUID().replace(/-/g, '')}`;
}
