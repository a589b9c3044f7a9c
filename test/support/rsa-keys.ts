import { createPublicKey, generateKeyPairSync } from 'node:crypto';

/** A fresh 2048-bit RSA key pair as PEM (PKCS#8 private, SPKI public): a rotation's new key. */
export function rsaPair(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

/** The SPKI PEM public key of a private key. */
export function publicOf(privatePem: string): string {
  return createPublicKey(privatePem).export({ type: 'spki', format: 'pem' }).toString();
}
