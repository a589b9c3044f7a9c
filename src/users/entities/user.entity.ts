import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const USER_ROLES = ['user', 'admin', 'support', 'finance'] as const;
export type UserRole = (typeof USER_ROLES)[number];

@Entity('users')
export class User {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  name: string;

  /** Stored lower-cased; unique. */
  @Column({ type: 'text' })
  email: string;

  /** Indonesian mobile number in 62… form; unique. */
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
