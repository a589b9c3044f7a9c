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
    this.box = new SecretBox(config.doku.tokenEncryptionKey);
  }

  seal(subscriptionId: string, secret: string): string {
    return this.box.seal(secret, context(subscriptionId));
  }

  open(subscriptionId: string, ciphertext: string): string {
    return this.box.open(ciphertext, context(subscriptionId));
  }
}

function context(subscriptionId: string): string {
  return `webhook_subscriptions|${subscriptionId}|secret`;
}
