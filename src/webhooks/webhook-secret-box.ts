import { Injectable } from '@nestjs/common';
import { SecretBox } from '../common/crypto/secret-box';
import { AppConfigService } from '../config/app-config.service';

/**
 * Signing secrets at rest: sealed with the encryption key of secrets we must read back
 * (DOKU_TOKEN_ENCRYPTION_KEY), bound to their subscription row, so a ciphertext copied to another
 * subscription does not open.
 */
@Injectable()
export class WebhookSecretBox {
  private readonly box: SecretBox;

  constructor(config: AppConfigService) {
    this.box = new SecretBox(config.doku.tokenEncryptionKeys);
  }

  seal(subscriptionId: string, secret: string): string {
    return this.box.seal(secret, context(subscriptionId));
  }

  open(subscriptionId: string, ciphertext: string): string {
    return this.box.open(ciphertext, context(subscriptionId));
  }

  /** How every value sealed under the current key begins. */
  get currentPrefix(): string {
    return `v2.${this.box.activeKeyId}.`;
  }

  /** The secret sealed under the current key (unchanged when it already is). */
  reseal(subscriptionId: string, ciphertext: string): string {
    return this.box.isCurrent(ciphertext) ? ciphertext : this.seal(subscriptionId, this.open(subscriptionId, ciphertext));
  }
}

function context(subscriptionId: string): string {
  return `webhook_subscriptions|${subscriptionId}|secret`;
}
