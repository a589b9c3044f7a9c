import { Injectable, Logger } from '@nestjs/common';
import { createPrivateKey, createPublicKey, KeyObject } from 'node:crypto';
import { Gauge } from 'prom-client';
import { AppConfigService } from '../config/app-config.service';
import { MetricsService } from '../metrics/metrics.service';

/** The algorithm of every access token we sign and accept. */
export const ACCESS_TOKEN_ALGORITHM = 'ES256';

/** One entry of /.well-known/jwks.json (RFC 7517): a public key only. */
export interface PublicJwk {
  kid: string;
  kty: 'EC';
  crv: 'P-256';
  alg: typeof ACCESS_TOKEN_ALGORITHM;
  use: 'sig';
  x: string;
  y: string;
}

const logger = new Logger('AccessTokenKeys');

/**
 * The access-token key ring (JWT_SIGNING_KEYS, docs/operations.md#rotating-keys): one active
 * key signs, every key verifies the tokens carrying its `kid`, and the public halves are published
 * as a JWKS so other services verify our tokens without a shared secret. Which key signs is
 * logged at start-up and exposed as the `auth_access_token_signing_key` gauge; a key removed
 * from the configuration verifies nothing any more.
 */
@Injectable()
export class AccessTokenKeysService {
  readonly active: { kid: string; privateKey: KeyObject };
  private readonly publicKeys = new Map<string, KeyObject>();
  private readonly published: PublicJwk[];

  constructor(config: AppConfigService, metrics: MetricsService) {
    const { signingKeys, activeKeyId } = config.auth;
    for (const key of signingKeys) this.publicKeys.set(key.kid, createPublicKey(key.publicKeyPem));
    const activePem = signingKeys.find((k) => k.kid === activeKeyId)?.privateKeyPem;
    if (activePem === undefined) throw new Error(`The active access-token key ${activeKeyId} has no private key`);
    this.active = { kid: activeKeyId, privateKey: createPrivateKey(activePem) };
    // The signing key first: a verifier that only reads one key reads the current one.
    this.published = [...signingKeys]
      .sort((a, b) => Number(b.kid === activeKeyId) - Number(a.kid === activeKeyId))
      .map((key) => {
        const jwk = this.publicKeys.get(key.kid)!.export({ format: 'jwk' });
        return { kid: key.kid, kty: 'EC', crv: 'P-256', alg: ACCESS_TOKEN_ALGORITHM, use: 'sig', x: jwk.x!, y: jwk.y! };
      });

    const gauge = new Gauge({
      name: 'auth_access_token_signing_key',
      help: 'Access-token keys of this instance by kid: 1 for the key that signs, 0 for a key that only verifies',
      labelNames: ['kid'] as const,
      registers: [metrics.registry],
    });
    for (const key of signingKeys) gauge.set({ kid: key.kid }, key.kid === activeKeyId ? 1 : 0);
    const verifyOnly = signingKeys.filter((k) => k.kid !== activeKeyId).map((k) => k.kid);
    logger.log(
      `Access tokens are signed with key ${activeKeyId}; ${verifyOnly.length ? `also verified: ${verifyOnly.join(', ')}` : 'no other key verifies'}`,
    );
  }

  /** The public key a token's `kid` names, or undefined when that key is not (or no longer) ours. */
  publicKey(kid: unknown): KeyObject | undefined {
    return typeof kid === 'string' ? this.publicKeys.get(kid) : undefined;
  }

  /** The JSON Web Key Set of every key that verifies, the signing key first. */
  jwks(): { keys: PublicJwk[] } {
    return { keys: this.published };
  }
}
