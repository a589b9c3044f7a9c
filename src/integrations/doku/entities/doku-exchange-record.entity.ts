import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { DokuExchange } from '../doku.ports';

/** One HTTP attempt to DOKU as stored for support and reconciliation; bodies redacted by the client. */
@Entity('doku_exchanges')
export class DokuExchangeRecord {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  endpoint: string;

  @Column({ type: 'text' })
  method: string;

  @Column({ type: 'text' })
  path: string;

  @Index()
  @Column({ type: 'text', nullable: true })
  externalId: string | null;

  @Index()
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

  @Index()
  @Column({ type: 'timestamptz' })
  startedAt: Date;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
