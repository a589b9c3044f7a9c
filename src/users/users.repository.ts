import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { User, UserRole } from './entities/user.entity';

@Injectable()
export class UsersRepository {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  findById(id: string): Promise<User | null> {
    return this.users.findOne({ where: { id } });
  }

  /** The user with the password hash, for sign-in only. */
  findByEmailForLogin(email: string): Promise<User | null> {
    return this.users
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.email = :email', { email: email.toLowerCase() })
      .getOne();
  }

  async existsWithEmailOrPhone(email: string, phone: string): Promise<{ email: boolean; phone: boolean }> {
    const rows = await this.users.find({
      select: { email: true, phone: true },
      where: [{ email: email.toLowerCase() }, { phone }],
    });
    return { email: rows.some((r) => r.email === email.toLowerCase()), phone: rows.some((r) => r.phone === phone) };
  }

  /** The accounts that already hold this email or this phone number, with which one each holds. */
  async ownersOf(email: string, phone: string): Promise<{ id: string; email: boolean; phone: boolean }[]> {
    const rows = await this.users.find({
      select: { id: true, email: true, phone: true },
      where: [{ email: email.toLowerCase() }, { phone }],
    });
    return rows.map((r) => ({ id: r.id, email: r.email === email.toLowerCase(), phone: r.phone === phone }));
  }

  async create(input: { name: string; email: string; phone: string; passwordHash: string; role: UserRole }): Promise<User> {
    const saved = await this.users.save(this.users.create({ ...input, email: input.email.toLowerCase() }));
    const { passwordHash: _omit, ...rest } = saved;
    return rest as User;
  }
}
