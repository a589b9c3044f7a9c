import type { KeyObject } from 'node:crypto';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** One key of the access-token key ring: its id, and its private half when this instance may sign with it. */
export interface AccessTokenKey {
  /** The `kid` of the tokens it signs: the key's RFC 7638 JWK thumbprint (SHA-256, base64url). */
  kid: string;
  /** PKCS#8 PEM; absent for a verify-only key given as a public key. */
  privateKeyPem?: string;
  /** SPKI PEM. */
  publicKeyPem: string;
}

/**
 * The test suites' access-token signing key: public in this repository, so it signs nothing that
 * matters. Used only when NODE_ENV=test and JWT_SIGNING_KEYS is unset; production never falls back to it.
 */
export const TEST_ONLY_SIGNING_KEY_PEM = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgPy6zTMmplmeYnX24
v+qtgm5aB+5stvKwuamgQiC46EyhRANCAAQto/DLSokgJzLDDEyCU68DzX9zfUmw
iRNlFlx0gMzupsUTIP2BS9CEXy1G41Cvw77aFfhNv0Aue5YDQuI6T483
-----END PRIVATE KEY-----
`;

const PEM_BLOCK = /-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----/g;

/** The key's id: its JWK thumbprint (RFC 7638), the same on every instance and in every tool. */
export function accessTokenKeyId(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canonical).digest('base64url');
}

/**
 * `JWT_SIGNING_KEYS`: one or more PEM blocks, ECDSA P-256 (ES256), one after the other: private
 * keys (PKCS#8) this instance may sign with, and public keys (SPKI) it only verifies. Every key
 * verifies; one signs: `JWT_ACTIVE_KEY_ID` names it, else the first private key does.
 */
export function parseAccessTokenKeys(
  text: string,
  activeKeyId: string | undefined,
  problems: string[],
): { keys: AccessTokenKey[]; activeKeyId: string } {
  const keys: AccessTokenKey[] = [];
  const blocks = text.replace(/\\n/g, '\n').match(PEM_BLOCK) ?? [];
  if (!blocks.length) problems.push('JWT_SIGNING_KEYS must hold one or more PEM keys (ECDSA P-256)');
  for (const [index, block] of blocks.entries()) {
    try {
      const isPrivate = !block.startsWith('-----BEGIN PUBLIC KEY-----');
      const privateKey = isPrivate ? createPrivateKey(block) : undefined;
      const publicKey = privateKey ? createPublicKey(privateKey) : createPublicKey(block);
      if (publicKey.asymmetricKeyType !== 'ec' || publicKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
        throw new Error('not an ECDSA P-256 key');
      }
      const kid = accessTokenKeyId(publicKey);
      const known = keys.find((k) => k.kid === kid);
      if (known) {
        known.privateKeyPem ??= privateKey?.export({ type: 'pkcs8', format: 'pem' }).toString();
        continue;
      }
      keys.push({
        kid,
        privateKeyPem: privateKey?.export({ type: 'pkcs8', format: 'pem' }).toString(),
        publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      });
    } catch (e) {
      problems.push(`JWT_SIGNING_KEYS: key ${index + 1} cannot be used (${(e as Error).message.split('\n')[0]})`);
    }
  }
  const signing = activeKeyId ? keys.find((k) => k.kid === activeKeyId) : keys.find((k) => k.privateKeyPem);
  if (keys.length && !signing?.privateKeyPem) {
    problems.push(
      activeKeyId
        ? `JWT_ACTIVE_KEY_ID "${activeKeyId}" is not a private key of JWT_SIGNING_KEYS (its keys: ${keys.map((k) => k.kid).join(', ')})`
        : 'JWT_SIGNING_KEYS must hold at least one private key to sign with',
    );
  }
  return { keys, activeKeyId: signing?.kid ?? '' };
}

/** A new ES256 signing key, PKCS#8 PEM, and its id. */
export function newAccessTokenKey(): { kid: string; privateKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { kid: accessTokenKeyId(publicKey), privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/**
 * The development signing key: random, made on first start and kept in a file beside the embedded
 * PostgreSQL data directory (readable by its owner only), so tokens survive restarts of one
 * machine's backend and are worthless anywhere else.
 */
export function developmentSigningKey(dataDir: string): string {
  const file = `${dataDir}.jwt-signing-key.pem`;
  if (existsSync(file)) {
    const stored = readFileSync(file, 'utf8');
    if (stored.includes('BEGIN PRIVATE KEY')) return stored;
  }
  const { privateKeyPem } = newAccessTokenKey();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, privateKeyPem, { mode: 0o600 });
  chmodSync(file, 0o600);
  return privateKeyPem;
}
