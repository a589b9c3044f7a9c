import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { USER_ROLES, type UserRole } from '../../common/auth/roles';

export { USER_ROLES, type UserRole };

@Entity('users')
@Check('users_role_check', `role IN ('user','admin','support','finance')`)
@Check('users_email_lower_check', `email = lower(email)`)
export class User {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'users_pkey' })
  id: string;

  @Column({ type: 'text' })
  name: string;

  /** Stored lower-cased; unique. */
  @Index('users_email_key', { unique: true })
  @Column({ type: 'text' })
  email: string;

  /** Indonesian mobile number in 62… form; unique. */
  @Index('users_phone_key', { unique: true })
  @Column({ type: 'text' })
  phone: string;

  @Column({ type: 'text', select: false })
  passwordHash: string;

  @Column({ type: 'text' })
  role: UserRole;

  @Column({ type: 'boolean', default: true })
  active: boolean;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
