import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const SERVICE_SCOPES = [
  'purchases:write',
  'topups:write',
  'refunds:write',
  'wallets:read',
  'events:read',
] as const;
export type ServiceScope = (typeof SERVICE_SCOPES)[number];

/** One of the partner's internal services, authenticating with OAuth2 client credentials. */
@Entity('service_clients')
export class ServiceClient {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** The public identifier sent as `client_id`. */
  @Column({ type: 'text', unique: true })
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

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
