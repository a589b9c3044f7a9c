import { ApiProperty } from '@nestjs/swagger';

const list = (example: unknown[], description: string) => ({
  type: 'array' as const,
  items: { type: 'object' as const },
  example,
  description,
});

/** Everything held about the signed-in user (docs/privacy.md#export). Amounts are strings of whole rupiah. */
export class DataExportResponseDto {
  @ApiProperty({ example: 'doku-wallet-partner.data-export.v1' })
  format: string;

  @ApiProperty({ example: '2026-12-04T10:15:00.000Z' })
  exportedAt: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { id: '8d1f…', name: 'Siti Rahayu', email: 'siti@example.com', phone: '6281234567890', role: 'user', active: true },
  })
  user: Record<string, unknown>;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    example: { status: 'BOUND', dokuAccountId: '1234567890', phone: '6281234567890' },
  })
  wallet: Record<string, unknown> | null;

  @ApiProperty(list([{ partnerReferenceNo: 'REG-…', name: 'Siti Rahayu', status: 'COMPLETED' }], 'DOKU Wallet accounts created through us'))
  walletRegistrations: Record<string, unknown>[];

  @ApiProperty(
    list([{ partnerReferenceNo: 'BIND-…', dokuAccountId: '1234567890', status: 'ACTIVE' }], 'Links of a DOKU Wallet to this app'),
  )
  walletBindings: Record<string, unknown>[];

  @ApiProperty(
    list([{ kind: 'DOKU_WALLET_LINK', bindingId: '…', givenAt: '2026-12-01T08:00:00.000Z', withdrawnAt: null }], 'Consents given'),
  )
  consents: Record<string, unknown>[];

  @ApiProperty(
    list(
      [{ type: 'PURCHASE', status: 'SUCCESS', amount: '150000', partnerReferenceNo: 'PUR-…', events: [] }],
      'Purchases, top-ups, transfers, with their events',
    ),
  )
  transactions: Record<string, unknown>[];

  @ApiProperty(
    list([{ type: 'REFUND', status: 'SUCCESS', amount: '50000', parentId: '…', events: [] }], 'Refunds and cancels, with their events'),
  )
  refunds: Record<string, unknown>[];

  @ApiProperty(list([{ bankCode: '014', accountNumberMasked: '******7890', beneficiaryName: 'SITI RAHAYU' }], 'Bank account look-ups'))
  bankTransferInquiries: Record<string, unknown>[];

  @ApiProperty(list([{ amount: '500000', customerName: 'Siti Rahayu' }], 'Top-up look-ups'))
  topUpInquiries: Record<string, unknown>[];

  @ApiProperty(list([{ seq: '1042', type: 'wallet.binding_changed', payload: {} }], 'The user’s own event feed'))
  events: Record<string, unknown>[];

  @ApiProperty(list([{ id: '…', createdAt: '2026-12-01T08:00:00.000Z', revokedAt: null }], 'Sign-in sessions (never their tokens)'))
  sessions: Record<string, unknown>[];

  @ApiProperty(list([{ purpose: 'BINDING', phone: '6281234567890', sentAt: '2026-12-01T08:00:00.000Z' }], 'OTPs DOKU sent at our request'))
  otpSends: Record<string, unknown>[];

  @ApiProperty(
    list(
      [{ endpoint: 'purchaseWeb', partnerReference: 'PUR-…', responseCode: '2005400' }],
      'Our exchanges with DOKU about the user (secrets redacted)',
    ),
  )
  dokuExchanges: Record<string, unknown>[];

  @ApiProperty(list([{ status: 'AWAITING_UNBINDING_OTP', requestedAt: '2026-12-04T10:15:00.000Z' }], 'Erasure requests'))
  erasureRequests: Record<string, unknown>[];
}
