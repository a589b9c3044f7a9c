import { Body, Controller, Delete, Get, Headers, HttpCode, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AllowUsers, CurrentPrincipal, Public, SensitiveRateLimit } from '../common/auth/auth.decorators';
import { UserPrincipal } from '../common/auth/principal';
import { AppError } from '../common/errors/app-error';
import { NoBodyPipe } from '../common/http/no-body.pipe';
import { AppConfigService } from '../config/app-config.service';
import { AuthService } from './auth.service';
import {
  BACK_OFFICE_ROLES,
  CONSOLE_ACCESS_COOKIE,
  CONSOLE_REFRESH_COOKIE,
  clearedCookies,
  csrfToken,
  readCookie,
  sessionCookies,
} from './console-session';
import { ConsoleSessionResponseDto } from './dto/console-session.response.dto';
import { LoginRequestDto } from './dto/login.request.dto';
import { TokenPairResponseDto } from './dto/token-pair.response.dto';
import { AccessTokenKeysService } from './access-token-keys.service';
import { JwtAuthenticator } from './jwt-authenticator';

/** The part of Fastify's reply these routes use. */
interface CookieReply {
  header(name: string, value: string | string[]): unknown;
}

/**
 * The back-office console's sign-in (src/auth/console-session.ts): the tokens go into httpOnly
 * cookies and the page gets only the person and the session's CSRF token. Bearer sign-in
 * (`/v1/auth/login`) is unchanged.
 */
@ApiTags('back office console')
@Controller('admin/api/session')
export class ConsoleSessionController {
  constructor(
    private readonly auth: AuthService,
    private readonly authenticator: JwtAuthenticator,
    private readonly config: AppConfigService,
    private readonly keys: AccessTokenKeysService,
  ) {}

  @Post()
  @HttpCode(200)
  @Public()
  @SensitiveRateLimit()
  @ApiOperation({ summary: 'Console sign-in (back-office roles only): sets the session cookies' })
  @ApiOkResponse({ type: ConsoleSessionResponseDto })
  async signIn(@Body() body: LoginRequestDto, @Res({ passthrough: true }) reply: CookieReply): Promise<ConsoleSessionResponseDto> {
    return this.open(await this.auth.login(body, BACK_OFFICE_ROLES), reply);
  }

  @Get()
  @Public()
  @ApiOperation({ summary: "The console's session: who is signed in and the CSRF token (renewed from the refresh cookie when needed)" })
  @ApiOkResponse({ type: ConsoleSessionResponseDto })
  async current(
    @Headers() headers: Record<string, string | string[] | undefined>,
    @Res({ passthrough: true }) reply: CookieReply,
  ): Promise<ConsoleSessionResponseDto> {
    const access = readCookie(headers, CONSOLE_ACCESS_COOKIE);
    const principal = access === undefined ? null : await this.authenticator.principalOfToken(access);
    if (principal?.kind === 'user' && BACK_OFFICE_ROLES.includes(principal.role)) return this.describe(principal);
    const refresh = readCookie(headers, CONSOLE_REFRESH_COOKIE);
    if (refresh !== undefined) {
      try {
        return await this.open(await this.auth.refresh(refresh), reply);
      } catch (e) {
        if (!(e instanceof AppError)) throw e;
      }
    }
    reply.header('set-cookie', clearedCookies(this.cookieOptions()));
    throw new AppError('AUTH.UNAUTHENTICATED', 'Not signed in to the console');
  }

  @Delete()
  @HttpCode(204)
  @AllowUsers(...BACK_OFFICE_ROLES)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Console sign-out: ends the session and removes the cookies' })
  @ApiNoContentResponse()
  async signOut(
    @Body(NoBodyPipe) _body: unknown,
    @CurrentPrincipal() principal: UserPrincipal,
    @Res({ passthrough: true }) reply: CookieReply,
  ): Promise<void> {
    await this.auth.logout(principal.sessionId);
    reply.header('set-cookie', clearedCookies(this.cookieOptions()));
  }

  private async open(tokens: TokenPairResponseDto, reply: CookieReply): Promise<ConsoleSessionResponseDto> {
    const principal = await this.authenticator.principalOfToken(tokens.accessToken);
    if (principal?.kind !== 'user' || !BACK_OFFICE_ROLES.includes(principal.role)) {
      // A refreshed session whose person left the back office in the meantime.
      if (principal?.kind === 'user') await this.auth.logout(principal.sessionId);
      reply.header('set-cookie', clearedCookies(this.cookieOptions()));
      throw new AppError('AUTH.FORBIDDEN', 'This sign-in is for the back office only');
    }
    reply.header('set-cookie', sessionCookies(tokens, this.config.auth.refreshTokenTtlSeconds, this.cookieOptions()));
    return this.describe(principal);
  }

  private async describe(principal: UserPrincipal): Promise<ConsoleSessionResponseDto> {
    return { user: await this.auth.me(principal.userId), csrfToken: csrfToken(this.keys, principal.sessionId) };
  }

  private cookieOptions(): { secure: boolean } {
    return { secure: this.config.app.env === 'production' };
  }
}
