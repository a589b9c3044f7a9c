import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { NoRateLimit, Public } from '../common/auth/auth.decorators';
import { AccessTokenKeysService } from './access-token-keys.service';
import { JwksResponseDto } from './dto/jwks.response.dto';

@ApiTags('auth')
@Controller('.well-known')
@NoRateLimit()
export class JwksController {
  constructor(private readonly keys: AccessTokenKeysService) {}

  @Get('jwks.json')
  @Public()
  // Public keys only: a verifier may keep them a few minutes. A key is added here before it signs
  // and stays until the last token it signed has expired (docs/operations.md#rotating-keys).
  @Header('cache-control', 'public, max-age=300')
  @ApiOperation({
    summary: 'The public keys that verify our access tokens (ES256, by `kid`)',
    description:
      'A JSON Web Key Set (RFC 7517). The key that signs new tokens comes first; the others verify tokens signed before a rotation.',
  })
  @ApiOkResponse({ type: JwksResponseDto })
  jwks(): JwksResponseDto {
    return this.keys.jwks();
  }
}
