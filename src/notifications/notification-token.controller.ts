import { Controller, Headers, HttpCode, Post, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../common/auth/auth.decorators';
import { NotificationTokenService } from './notification-token.service';
import { SnapExceptionFilter } from './snap-exception.filter';

interface HeaderReply {
  header(name: string, value: string): unknown;
}

/**
 * DOKU's token request to us before it sends notifications (docs/doku-integration.md#notifications).
 * Public: DOKU has no token of ours yet; its RSA signature is the credential. The path is DOKU's,
 * fixed by SNAP.
 */
@ApiExcludeController()
@Controller()
@UseFilters(new SnapExceptionFilter('73'))
export class NotificationTokenController {
  constructor(private readonly tokens: NotificationTokenService) {}

  @Post('authorization/v1/access-token/b2b')
  @HttpCode(200)
  @Public()
  async token(
    @Headers('x-client-key') clientKey: string | undefined,
    @Headers('x-timestamp') timestamp: string | undefined,
    @Headers('x-signature') signature: string | undefined,
    @Res({ passthrough: true }) reply: HeaderReply,
  ): Promise<unknown> {
    const issued = await this.tokens.issue(clientKey, timestamp, signature);
    for (const [name, value] of Object.entries(issued.headers)) reply.header(name, value);
    return issued.body;
  }
}
