import { Injectable } from '@nestjs/common';
import { appReturnLink, type AppResult } from '../common/pages/app-return-url';
import { AppConfigService } from '../config/app-config.service';
import { ServiceClientsRepository } from './service-clients.repository';

/** Who started what a customer page is about: the customer in the partner's app, or a service. */
export interface ReturnInitiator {
  kind: 'user' | 'service';
  id: string;
}

/**
 * The partner app's return links (docs/customer-pages.md#back-to-the-app): the service client's own
 * link for what that service started, else the partner's APP_RETURN_URL; none when neither is set.
 */
@Injectable()
export class AppReturnLinks {
  constructor(
    private readonly clients: ServiceClientsRepository,
    private readonly config: AppConfigService,
  ) {}

  async baseFor(initiator?: ReturnInitiator): Promise<string | undefined> {
    if (initiator?.kind === 'service') {
      const own = await this.clients.appReturnUrl(initiator.id);
      if (own) return own;
    }
    return this.config.app.appReturnUrl;
  }

  /** The link with the outcome in it, or undefined when no return link is configured. */
  async linkFor(
    initiator: ReturnInitiator | undefined,
    result: AppResult,
    flow: 'registration' | 'binding' | 'purchase',
    ids?: Record<string, string>,
  ): Promise<string | undefined> {
    const base = await this.baseFor(initiator);
    return base ? appReturnLink(base, result, flow, ids) : undefined;
  }
}
