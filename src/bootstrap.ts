import helmet from '@fastify/helmet';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { RawServerDefault } from 'fastify';
import { Logger } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { DataSource } from 'typeorm';
import { AppModule } from './app.module';
import { resolveRequestId } from './common/http/request-id';
import { AppConfig } from './config/config.types';
import { runMigrationsLocked } from './database/migrate';
import { MetricsService } from './metrics/metrics.service';

export interface CreateAppOptions {
  /** Apply pending migrations before serving (default: config.app.runMigrationsOnStart). */
  runMigrations?: boolean;
  /** Where the JSON logs go instead of stdout (the reliability battery reads them back). */
  logDestination?: DestinationStream;
}

/**
 * Builds the HTTP application. Fastify rather than Express: the same Nest route served 2.86x the
 * requests on Fastify (`npm run bench:adapter`), and what we add on top of DOKU's round trip must
 * stay close to nothing.
 */
export async function createApp(config: AppConfig, databaseUrl: string, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: config.app.bodyLimitBytes,
    genReqId: resolveRequestId,
    requestIdHeader: false,
    // Only the configured proxies' X-Forwarded-For counts (TRUST_PROXY); otherwise a client could
    // name its own address and step around the per-address rate limits.
    trustProxy: config.app.trustProxy.length > 0 ? config.app.trustProxy : false,
    // secure-json-parse: a body with __proto__ or constructor.prototype keys is refused (400).
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, databaseUrl, { logDestination: options.logDestination }), adapter, {
    rawBody: true,
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  const fastify = app.getHttpAdapter().getInstance();

  // Errors fastify raises itself (oversize body, wrong content type, bad JSON) reach the global
  // filter through Nest's own fastify error handler, so they get the same error body.
  // JSON only (and forms, for the OAuth2 token endpoint): anything else is 415.
  fastify.removeContentTypeParser(['text/plain']);
  // DOKU signs a notification's raw bytes (§2.8): on the notify route the service parses the JSON
  // only once the signature is verified, so a tampered body is refused as unsigned (401), never
  // answered as malformed JSON. Every other route keeps the default (poisoning-safe) JSON parser.
  const json = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser<RawServerDefault>('application/json', { bodyLimit: config.app.bodyLimitBytes }, (request, body, done) =>
    request.routeOptions.url === config.doku.notificationPath ? done(null, undefined) : json(request, body.toString('utf8'), done),
  );
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', String(request.id));
    // Responses carry tokens, balances and personal data: no shared or browser cache keeps them.
    void reply.header('cache-control', 'no-store');
    done();
  });
  const metrics = app.get(MetricsService);
  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'validator.swagger.io'],
        scriptSrc: ["'self'", "https: 'unsafe-inline'"],
      },
    },
  });
  app.enableCors({
    origin: config.app.corsOrigins.length ? config.app.corsOrigins : false,
    credentials: false,
    exposedHeaders: ['X-Request-Id', 'Idempotent-Replayed', 'Retry-After'],
  });

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('DOKU Wallet partner API')
      .setDescription('A DOKU e-wallet inside the partner app: users, wallets, payments, back office.')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });

  const migrate = options.runMigrations ?? config.app.runMigrationsOnStart;
  if (migrate) await runMigrationsLocked(app.get(DataSource));
  await app.init();
  await fastify.ready();
  return app;
}
