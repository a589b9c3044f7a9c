import { Check, Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Consecutive failed sign-ins of one account key (the lower-cased email) and the lock they earned.
 * The row goes away on a successful sign-in or when back office releases the lock.
 */
@Entity('login_attempts')
@Check('login_attempts_failures_check', '"failures" > 0')
export class LoginAttempt {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'login_attempts_pkey' })
  accountKey: string;

  @Column({ type: 'integer' })
  failures: number;

  @Column({ type: 'timestamptz', nullable: true })
  lockedUntil: Date | null;

  @Column({ type: 'timestamptz' })
  lastFailureAt: Date;
}
