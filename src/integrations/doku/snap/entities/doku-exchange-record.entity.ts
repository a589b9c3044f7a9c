import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { DokuExchange } from '../doku.ports';

/** One HTTP attempt to DOKU as stored for support and reconciliation; bodies redacted by the client. */
@Entity('doku_exchanges')
// method, external_id and outcome are checked by their columns' domains (doku_exchange_method,
// doku_external_id, doku_exchange_outcome: migration CheckedByDomain), which TypeORM cannot declare.
@Check('doku_exchanges_attempt_check', `attempt >= 1`)
@Check('doku_exchanges_duration_ms_check', `duration_ms >= 0`)
export class DokuExchangeRecord {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'doku_exchanges_pkey' })
  id: string;

  @Column({ type: 'text' })
  endpoint: string;

  @Column({ type: 'text' })
  method: string;

  @Column({ type: 'text' })
  path: string;

  @Index('doku_exchanges_external_id_idx')
  @Column({ type: 'text', nullable: true })
  externalId: string | null;

  @Index('doku_exchanges_partner_reference_idx')
  @Column({ type: 'text', nullable: true })
  partnerReference: string | null;

  @Column({ type: 'smallint' })
  attempt: number;

  @Column({ type: 'smallint', nullable: true })
  httpStatus: number | null;

  @Column({ type: 'text', nullable: true })
  responseCode: string | null;

  @Column({ type: 'text' })
  outcome: DokuExchange['outcome'];

  @Column({ type: 'boolean', default: false })
  replayed: boolean;

  @Column({ type: 'double precision' })
  durationMs: number;

  @Column({ type: 'jsonb', nullable: true })
  requestBody: unknown;

  @Column({ type: 'jsonb', nullable: true })
  responseBody: unknown;

  @Index('doku_exchanges_started_at_idx')
  @Column({ type: 'timestamptz' })
  startedAt: Date;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
