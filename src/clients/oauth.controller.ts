import { Body, Controller, Headers, HttpCode, Post } from '@nestjs/common';
import { ApiConsumes, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public, SensitiveRateLimit } from '../common/auth/auth.decorators';
import { ClientTokenRequestDto } from './dto/client-token.request.dto';
import { ClientTokenResponseDto } from './dto/client-token.response.dto';
import { ServiceClientsService } from './service-clients.service';

function basicCredentials(header: string | undefined): { id?: string; secret?: string } {
  if (!header?.startsWith('Basic ')) return {};
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return {};
  // Malformed percent-encoding is a failed authentication, not a crash (RFC 6749 §2.3.1).
  const decode = (s: string): string => {
    try {
      return decodeURIComponent(s);
    } catch {
      return '';
    }
  };
  return { id: decode(decoded.slice(0, colon)), secret: decode(decoded.slice(colon + 1)) };
}

@ApiTags('auth')
@Controller('v1/oauth')
export class OAuthController {
  constructor(private readonly clients: ServiceClientsService) {}

  @Post('token')
  @HttpCode(200)
  @Public()
  @SensitiveRateLimit()
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiOperation({ summary: 'Client-credentials token for the partner internal services' })
  @ApiOkResponse({ type: ClientTokenResponseDto })
  token(@Body() body: ClientTokenRequestDto, @Headers('authorization') authorization?: string): Promise<ClientTokenResponseDto> {
    const basic = basicCredentials(authorization);
    return this.clients.issueToken(basic.id ?? body.client_id, basic.secret ?? body.client_secret, body.scope);
  }
}
