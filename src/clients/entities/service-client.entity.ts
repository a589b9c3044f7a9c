import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

import { SERVICE_SCOPES, type ServiceScope } from '../../common/auth/roles';

export { SERVICE_SCOPES, type ServiceScope };

/** One of the partner's internal services, authenticating with OAuth2 client credentials. */
@Entity('service_clients')
// The database refuses any scope outside SERVICE_SCOPES; a new scope needs a migration too.
@Check(
  'service_clients_scopes_check',
  `scopes <@ ARRAY['purchases:write','topups:write','refunds:write','wallets:read','events:read']::text[]`,
)
export class ServiceClient {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'service_clients_pkey' })
  id: string;

  /** The public identifier sent as `client_id`. */
  @Index('service_clients_client_id_key', { unique: true })
  @Column({ type: 'text' })
  clientId: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text', select: false })
  secretHash: string;

  /** Bumped on every rotation; tokens of an earlier version stop working. */
  @Column({ type: 'integer', default: 1 })
  secretVersion: number;

  @Column({ type: 'text', array: true })
  scopes: ServiceScope[];

  @Column({ type: 'boolean', default: true })
  active: boolean;

  /** Its own app return link for the purchases it creates (docs/customer-pages.md#back-to-the-app); null: the partner's. */
  @Column({ type: 'text', nullable: true })
  appReturnUrl: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
