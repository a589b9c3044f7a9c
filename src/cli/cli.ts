import { NestFactory } from '@nestjs/core';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { AppModule } from '../app.module';
import { ServiceClientsService } from '../clients/service-clients.service';
import { hashPassword } from '../common/crypto/hashing';
import { loadConfig } from '../config/load-config';
import { buildDataSourceOptions } from '../database/database-options';
import { startEmbeddedPostgres } from '../database/embedded-postgres';
import { runMigrationsLocked } from '../database/migrate';
import { USER_ROLES, UserRole } from '../users/entities/user.entity';
import { UsersRepository } from '../users/users.repository';

export const USAGE = `Usage:
  migration:run                     apply pending migrations
  migration:revert                  revert the last migration
  admin:create --email E --name N --phone 62… [--role admin|support|finance]
                                    the password is read from ADMIN_PASSWORD
  client:create --name N --scopes purchases:write,wallets:read
  client:rotate --client-id ID      new secret; tokens issued before stop working`;

export class CliError extends Error {}

/**
 * Operator commands. Each returns a JSON-serialisable result; the one-time secrets a command
 * creates (client secrets) appear only in that result, never in a log.
 */
export async function runCli(argv: string[], env: Record<string, string | undefined> = process.env): Promise<unknown> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      email: { type: 'string' },
      name: { type: 'string' },
      phone: { type: 'string' },
      role: { type: 'string' },
      scopes: { type: 'string' },
      'client-id': { type: 'string' },
    },
    strict: true,
  });
  const config = loadConfig(env);
  let url = config.database.url;
  const embedded = url
    ? undefined
    : await startEmbeddedPostgres({ dataDir: config.database.embedded.dataDir, port: config.database.embedded.port });
  url ??= embedded!.url;
  try {
    switch (command) {
      case 'migration:run':
      case 'migration:revert': {
        const ds = await new DataSource(buildDataSourceOptions(config.database, url)).initialize();
        try {
          if (command === 'migration:run') return { applied: await runMigrationsLocked(ds) };
          await ds.undoLastMigration({ transaction: 'each' });
          return { reverted: true };
        } finally {
          await ds.destroy();
        }
      }
      case 'admin:create':
      case 'client:create':
      case 'client:rotate':
        return await withApp(config, url, command, values);
      default:
        throw new CliError(USAGE);
    }
  } finally {
    if (embedded && !embedded.reused) await embedded.stop();
  }
}

async function withApp(
  config: ReturnType<typeof loadConfig>,
  url: string,
  command: string,
  values: Record<string, string | undefined>,
): Promise<unknown> {
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, url), { logger: false });
  try {
    if (command === 'admin:create') {
      const { email, name, phone } = values;
      const role = (values.role ?? 'admin') as UserRole;
      const password = process.env.ADMIN_PASSWORD;
      if (!email || !name || !phone) throw new CliError('admin:create needs --email, --name and --phone');
      if (!password || password.length < 10) throw new CliError('Set ADMIN_PASSWORD (at least 10 characters)');
      if (!USER_ROLES.includes(role) || role === 'user') throw new CliError('--role must be admin, support or finance');
      if (!/^628\d{7,11}$/.test(phone)) throw new CliError('--phone must be an Indonesian mobile number in 62… form');
      const users = app.get(UsersRepository);
      const taken = await users.existsWithEmailOrPhone(email, phone);
      if (taken.email || taken.phone) throw new CliError('A user with this email or phone already exists');
      const user = await users.create({ name, email, phone, role, passwordHash: await hashPassword(password) });
      return { id: user.id, email: user.email, role: user.role };
    }
    const clients = app.get(ServiceClientsService);
    if (command === 'client:create') {
      if (!values.name || !values.scopes) throw new CliError('client:create needs --name and --scopes');
      return await clients.create(values.name, values.scopes.split(',').map((s) => s.trim()));
    }
    if (!values['client-id']) throw new CliError('client:rotate needs --client-id');
    return await clients.rotate(values['client-id']);
  } finally {
    await app.close();
  }
}
