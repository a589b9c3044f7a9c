import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AllowUsers, CurrentPrincipal, Public, SensitiveRateLimit } from '../common/auth/auth.decorators';
import { UserPrincipal } from '../common/auth/principal';
import { UserResponseDto } from '../users/dto/user.response.dto';
import { AuthService } from './auth.service';
import { LoginRequestDto } from './dto/login.request.dto';
import { RefreshRequestDto } from './dto/refresh.request.dto';
import { RegisterRequestDto } from './dto/register.request.dto';
import { RegisterResponseDto } from './dto/register.response.dto';
import { TokenPairResponseDto } from './dto/token-pair.response.dto';
import { NoBodyPipe } from '../common/http/no-body.pipe';

@ApiTags('auth')
@Controller()
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('v1/auth/register')
  @HttpCode(202)
  @Public()
  @SensitiveRateLimit()
  @ApiOperation({
    summary: 'Create a partner user account; then sign in with the same email and password',
    description:
      'The answer is the same whether or not the email or phone is taken: it never tells who has an account. If one is, the owner is told out of band.',
  })
  @ApiAcceptedResponse({ type: RegisterResponseDto })
  register(@Body() body: RegisterRequestDto): Promise<RegisterResponseDto> {
    return this.auth.register(body);
  }

  @Post('v1/auth/login')
  @HttpCode(200)
  @Public()
  @SensitiveRateLimit()
  @ApiOperation({ summary: 'Sign in with email and password' })
  @ApiOkResponse({ type: TokenPairResponseDto })
  login(@Body() body: LoginRequestDto): Promise<TokenPairResponseDto> {
    return this.auth.login(body);
  }

  @Post('v1/auth/refresh')
  @HttpCode(200)
  @Public()
  @SensitiveRateLimit()
  @ApiOperation({ summary: 'Exchange a refresh token for a new token pair (the old refresh token stops working)' })
  @ApiOkResponse({ type: TokenPairResponseDto })
  refresh(@Body() body: RefreshRequestDto): Promise<TokenPairResponseDto> {
    return this.auth.refresh(body.refreshToken);
  }

  @Post('v1/auth/logout')
  @HttpCode(204)
  @AllowUsers()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'End this session: its access and refresh tokens stop working' })
  async logout(@Body(NoBodyPipe) _body: unknown, @CurrentPrincipal() principal: UserPrincipal): Promise<void> {
    await this.auth.logout(principal.sessionId);
  }

  @Get('v1/me')
  @AllowUsers()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The signed-in user' })
  @ApiOkResponse({ type: UserResponseDto })
  me(@CurrentPrincipal() principal: UserPrincipal): Promise<UserResponseDto> {
    return this.auth.me(principal.userId);
  }
}
