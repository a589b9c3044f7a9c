import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { DestinationStream } from 'pino';
import { DataSource } from 'typeorm';
import { AppModule } from './app.module';
import { configureBodyParsers } from './common/http/body-parsers';
import { AppLogs } from './common/logging/app-logs';
import { installRequestLogging } from './common/logging/request-logging';
import { operatorAccessHook } from './common/http/operator-access';
import { closeConnectionsAfterAnswers } from './common/http/graceful-close';
import { clientErrorHandler, refuseTraversal } from './common/http/raw-refusals';
import { resolveRequestId } from './common/http/request-id';
import { securityHeaders } from './common/http/security-headers';
import type { AppConfig } from './config/config.types';
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
    clientErrorHandler,
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(config, databaseUrl, { logDestination: options.logDestination }),
    adapter,
    {
      rawBody: true,
      bufferLogs: true,
    },
  );
  const logs = app.get(AppLogs);
  app.useLogger(logs.nest);
  const fastify = app.getHttpAdapter().getInstance();
  installRequestLogging(fastify, logs.root);
  // A shutdown waits for the requests in flight, not for their keep-alive connections.
  closeConnectionsAfterAnswers(fastify);

  configureBodyParsers(app, config);
  // Helmet's security headers, read once (security-headers.ts). Responses carry tokens, balances
  // and personal data: no shared or browser cache keeps them.
  const fixedHeaders = {
    'cache-control': 'no-store',
    ...securityHeaders({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"],
          imgSrc: ["'self'", 'data:', 'validator.swagger.io'],
          scriptSrc: ["'self'", "https: 'unsafe-inline'"],
        },
      },
    }),
  };
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', String(request.id));
    void reply.headers(fixedHeaders);
    done();
  });
  // After the headers: the refusals below carry them too.
  fastify.addHook('onRequest', refuseTraversal);
  // /docs and /metrics: open, behind operator basic auth, or absent (DOCS_ACCESS, METRICS_ACCESS).
  fastify.addHook('onRequest', operatorAccessHook(config.app.operator));
  const metrics = app.get(MetricsService);
  fastify.addHook('onResponse', (request, reply, done) => {
    metrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  app.enableCors({
    origin: config.app.corsOrigins.length ? config.app.corsOrigins : false,
    credentials: false,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'],
    maxAge: 600,
    exposedHeaders: ['X-Request-Id', 'Idempotent-Replayed', 'Retry-After'],
  });

  if (config.app.operator.docs !== 'off') setUpDocs(app);

  const migrate = options.runMigrations ?? config.app.runMigrationsOnStart;
  if (migrate) await runMigrationsLocked(app.get(DataSource));
  await app.init();
  await fastify.ready();
  return app;
}

/** The OpenAPI document at /docs/openapi.json and its browsable page at /docs. */
function setUpDocs(app: NestFastifyApplication): void {
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
}
