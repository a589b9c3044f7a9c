import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppError } from '../common/errors/app-error';

@Injectable()
export class HealthService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async ready(): Promise<{ status: 'ok'; checks: Record<string, 'up'> }> {
    try {
      await this.db.query('SELECT 1');
    } catch {
      throw new AppError('INTERNAL.UNAVAILABLE', 'The database is not reachable', { checks: { database: 'down' } });
    }
    return { status: 'ok', checks: { database: 'up' } };
  }
}
