import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { idParam } from '../common/http/id-params';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Allow, AllowUsers, CurrentPrincipal, SensitiveRateLimit } from '../common/auth/auth.decorators';
import { UserPrincipal } from '../common/auth/principal';
import { AccountsService } from './accounts.service';
import { BindingResponseDto } from './dto/binding.response.dto';
import { CreateBindingRequestDto } from './dto/create-binding.request.dto';
import { CreateRegistrationRequestDto } from './dto/create-registration.request.dto';
import { RegistrationResponseDto } from './dto/registration.response.dto';
import { UnbindingResponseDto } from './dto/unbinding.response.dto';
import { VerifiedRegistrationResponseDto } from './dto/verified-registration.response.dto';
import { VerifyOtpRequestDto } from './dto/verify-otp.request.dto';
import { WalletResponseDto } from './dto/wallet.response.dto';
import { WalletBindingService } from './wallet-binding.service';
import { WalletRegistrationService } from './wallet-registration.service';
import { NoBodyPipe } from '../common/http/no-body.pipe';

@ApiTags('wallet')
@ApiBearerAuth()
@Controller()
export class AccountsController {
  constructor(
    private readonly accounts: AccountsService,
    private readonly registration: WalletRegistrationService,
    private readonly binding: WalletBindingService,
  ) {}

  @Get('v1/wallet')
  @AllowUsers('user')
  @ApiOperation({ summary: "The signed-in user's DOKU Wallet state (status NONE when there is none yet)" })
  @ApiOkResponse({ type: WalletResponseDto })
  getWallet(@CurrentPrincipal() principal: UserPrincipal): Promise<WalletResponseDto> {
    return this.accounts.getOwnWallet(principal.userId);
  }

  @Get('v1/users/:userId/wallet')
  @Allow({ roles: ['admin', 'support', 'finance'], scopes: ['wallets:read'] })
  @ApiOperation({ summary: "A user's DOKU Wallet state (services with wallets:read, back office)" })
  @ApiOkResponse({ type: WalletResponseDto })
  getUserWallet(@Param('userId', idParam('USER.NOT_FOUND', 'No such user')) userId: string): Promise<WalletResponseDto> {
    return this.accounts.getWalletOfUser(userId);
  }

  @Post('v1/wallet/registrations')
  @AllowUsers('user')
  @SensitiveRateLimit()
  @ApiOperation({ summary: 'Create a DOKU Wallet account: DOKU sends an OTP to the phone' })
  @ApiCreatedResponse({ type: RegistrationResponseDto })
  register(@CurrentPrincipal() principal: UserPrincipal, @Body() body: CreateRegistrationRequestDto): Promise<RegistrationResponseDto> {
    return this.registration.start(principal.userId, body);
  }

  @Post('v1/wallet/registrations/:id/otp')
  @HttpCode(200)
  @AllowUsers('user')
  @SensitiveRateLimit()
  @ApiOperation({ summary: "Verify the OTP; answers DOKU's create-PIN page to open" })
  @ApiOkResponse({ type: VerifiedRegistrationResponseDto })
  verifyOtp(
    @CurrentPrincipal() principal: UserPrincipal,
    @Param('id', idParam('WALLET.REGISTRATION_NOT_FOUND', 'No such registration')) id: string,
    @Body() body: VerifyOtpRequestDto,
  ): Promise<VerifiedRegistrationResponseDto> {
    return this.registration.verifyOtp(principal.userId, id, body.otp);
  }

  @Post('v1/wallet/registrations/:id/otp/resend')
  @HttpCode(200)
  @AllowUsers('user')
  @SensitiveRateLimit()
  @ApiOperation({ summary: 'Send a new OTP (at most one a minute, a few per registration)' })
  @ApiOkResponse({ type: RegistrationResponseDto })
  resendOtp(
    @Body(NoBodyPipe) _body: unknown,
    @CurrentPrincipal() principal: UserPrincipal,
    @Param('id', idParam('WALLET.REGISTRATION_NOT_FOUND', 'No such registration')) id: string,
  ): Promise<RegistrationResponseDto> {
    return this.registration.resendOtp(principal.userId, id);
  }

  @Post('v1/wallet/binding')
  @AllowUsers('user')
  @ApiOperation({ summary: "Bind the DOKU Wallet: answers DOKU's consent page to open" })
  @ApiCreatedResponse({ type: BindingResponseDto })
  bind(@CurrentPrincipal() principal: UserPrincipal, @Body() body: CreateBindingRequestDto): Promise<BindingResponseDto> {
    return this.binding.bind(principal.userId, body);
  }

  @Post('v1/wallet/unbinding')
  @HttpCode(200)
  @AllowUsers('user')
  @SensitiveRateLimit()
  @ApiOperation({ summary: 'Unbind the DOKU Wallet; when DOKU sends an OTP, confirm it next' })
  @ApiOkResponse({ type: UnbindingResponseDto })
  unbind(@Body(NoBodyPipe) _body: unknown, @CurrentPrincipal() principal: UserPrincipal): Promise<UnbindingResponseDto> {
    return this.binding.unbind(principal.userId);
  }

  @Post('v1/wallet/unbinding/otp')
  @HttpCode(200)
  @AllowUsers('user')
  @SensitiveRateLimit()
  @ApiOperation({ summary: "Confirm the unbinding with DOKU's OTP (Verify OTP)" })
  @ApiOkResponse({ type: UnbindingResponseDto })
  confirmUnbinding(@CurrentPrincipal() principal: UserPrincipal, @Body() body: VerifyOtpRequestDto): Promise<UnbindingResponseDto> {
    return this.binding.confirmUnbindOtp(principal.userId, body.otp);
  }
}
