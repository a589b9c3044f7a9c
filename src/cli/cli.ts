import { NestFactory } from '@nestjs/core';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { AppModule } from '../app.module';
import { cliActor } from '../audit/audit-actor.decorator';
import { AuditTrail } from '../audit/audit-trail.service';
import { CustomerTokenReencryptionService } from '../auth-token/customer-token-reencryption.service';
import { CustomerTokensRepository } from '../auth-token/customer-tokens.repository';
import { SecretBox } from '../common/crypto/secret-box';
import { ServiceClientsService } from '../clients/service-clients.service';
import { hashPassword } from '../common/crypto/hashing';
import { loadConfig } from '../config/load-config';
import { newAccessTokenKey } from '../config/signing-keys';
import { buildDataSourceOptions } from '../database/database-options';
import { startEmbeddedPostgres } from '../database/embedded-postgres';
import { runMigrationsLocked } from '../database/migrate';
import type { UserRole } from '../users/entities/user.entity';
import { USER_ROLES } from '../users/entities/user.entity';
import { UsersRepository } from '../users/users.repository';

export const USAGE = `Usage:
  migration:run                     apply pending migrations
  migration:revert                  revert the last migration
  admin:create --email E --name N --phone 62… [--role admin|support|finance]
                                    the password is read from ADMIN_PASSWORD
  client:create --name N --scopes purchases:write,wallets:read [--return-url partnerapp://…]
  client:rotate --client-id ID      new secret; tokens issued before stop working
  client:return-url --client-id ID --return-url URL|none
                                    the app link the customer pages of its purchases lead to
  client:revoke --client-id ID      the client's tokens stop working; it gets no new ones
  audit:verify                      walk the back office's audit chain; fails naming the first broken row
  keys:jwt-new                      a new access-token signing key (PEM) and its kid, for JWT_SIGNING_KEYS
  keys:jwt-list                     the configured access-token keys: each kid, which one signs, which only verify
  keys:vault-status                 stored customer tokens and transfer inquiries by encryption key; re-encrypts what an older key sealed first

Every command that changes something is recorded in the audit trail as the operator's login
(AUDIT_OPERATOR, else USER).`;

export class CliError extends Error {}

/** `audit:verify` found a row altered, deleted or inserted out of chain. */
export class AuditChainBroken extends CliError {}

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
      'return-url': { type: 'string' },
    },
    strict: true,
  });
  const config = loadConfig(env);
  // Key commands read the configuration only: no database.
  if (command === 'keys:jwt-new') return newAccessTokenKey();
  if (command === 'keys:jwt-list') {
    const { signingKeys, activeKeyId } = config.auth;
    return {
      signs: activeKeyId,
      keys: signingKeys.map((k) => ({
        kid: k.kid,
        role: k.kid === activeKeyId ? 'signs' : k.privateKeyPem ? 'verifies' : 'verifies (public key only)',
      })),
    };
  }
  let url = config.database.url;
  // The embedded server: when one already runs from the data directory (`npm start`'s), it is used
  // and left running; only a server this command started itself is stopped when it finishes.
  const embedded = url
    ? undefined
    : await startEmbeddedPostgres({ dataDir: config.database.embedded.dataDir, port: config.database.embedded.port, stopStale: false });
  url ??= embedded!.url;
  // An operator's migration or audit check takes as long as it takes: no statement timeout here.
  const operatorDatabase = { ...config.database, statementTimeoutMs: 0 };
  try {
    switch (command) {
      case 'migration:run':
      case 'migration:revert': {
        const ds = await new DataSource(buildDataSourceOptions(operatorDatabase, url)).initialize();
        try {
          if (command === 'migration:run') return { applied: await runMigrationsLocked(ds) };
          await ds.undoLastMigration({ transaction: 'each' });
          return { reverted: true };
        } finally {
          await ds.destroy();
        }
      }
      case 'audit:verify': {
        const ds = await new DataSource(buildDataSourceOptions(operatorDatabase, url)).initialize();
        try {
          const result = await new AuditTrail(ds).verify();
          if (!result.ok && result.firstBroken) {
            const broken = result.firstBroken;
            throw new AuditChainBroken(
              `The audit chain is broken at row ${broken.seq}: ${broken.problem} (${broken.detail}); ${result.rows} rows before it verified`,
            );
          }
          return { verified: true, rows: result.rows, head: result.headSeq };
        } finally {
          await ds.destroy();
        }
      }
      case 'keys:vault-status':
      case 'admin:create':
      case 'client:create':
      case 'client:rotate':
      case 'client:return-url':
      case 'client:revoke':
        return await withApp(config, url, command, values, env);
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
  env: Record<string, string | undefined>,
): Promise<unknown> {
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, url), { logger: false });
  const audit = app.get(AuditTrail);
  const actor = cliActor(env);
  try {
    if (command === 'keys:vault-status') {
      const reencryption = app.get(CustomerTokenReencryptionService);
      await reencryption.runOnce();
      const box = app.get(SecretBox);
      const byKey = await app.get(CustomerTokensRepository).countByKey();
      const status: Record<string, unknown> = {
        encryptsWith: box.activeKeyId,
        tokensByKey: Object.fromEntries(byKey.map((r) => [r.key, r.tokens])),
      };
      // The other sealed values the job re-encrypts (bank-transfer inquiries: `transferInquiriesByKey`).
      for (const values of reencryption.registered()) {
        status[`${values.name}ByKey`] = Object.fromEntries((await values.countByKey()).map((r) => [r.key, r.count]));
      }
      return status;
    }
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
      await audit.record({ actor, action: 'user.created', target: { type: 'user', id: user.id }, after: { role } });
      return { id: user.id, email: user.email, role: user.role };
    }
    const clients = app.get(ServiceClientsService);
    if (command === 'client:create') {
      if (!values.name || !values.scopes) throw new CliError('client:create needs --name and --scopes');
      const created = await clients.create(
        values.name,
        values.scopes.split(',').map((s) => s.trim()),
        values['return-url'],
      );
      await audit.record({
        actor,
        action: 'service-client.created',
        target: { type: 'service-client', id: created.clientId },
        after: { name: values.name, ...created },
      });
      return created;
    }
    if (command === 'client:return-url') {
      const url = values['return-url'];
      if (!values['client-id'] || !url)
        throw new CliError('client:return-url needs --client-id and --return-url (a link, or none to clear it)');
      const changed = await clients.setAppReturnUrl(values['client-id'], url === 'none' ? null : url);
      await audit.record({
        actor,
        action: 'service-client.return-url-set',
        target: { type: 'service-client', id: changed.clientId },
        after: changed,
      });
      return changed;
    }
    if (command === 'client:revoke') {
      if (!values['client-id']) throw new CliError('client:revoke needs --client-id');
      const revoked = await clients.revoke(values['client-id']);
      await audit.record({
        actor,
        action: 'service-client.revoked',
        target: { type: 'service-client', id: revoked.clientId },
        after: revoked,
      });
      return revoked;
    }
    if (!values['client-id']) throw new CliError('client:rotate needs --client-id');
    const rotated = await clients.rotate(values['client-id']);
    await audit.record({
      actor,
      action: 'service-client.rotated',
      target: { type: 'service-client', id: rotated.clientId },
      after: rotated,
    });
    return rotated;
  } finally {
    await app.close();
  }
}
