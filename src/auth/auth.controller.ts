import { Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AuditAction } from '../common/audit-action';
import { LoginDto, MeDto, TokenDto } from './auth.dto';
import { AuthService } from './auth.service';
import { AnyCaller, CurrentPrincipal, Public } from '../context/decorators';
import type { Principal } from '../context/principal';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @Public()
  @AuditAction('auth.login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Log in as the platform admin or a tenant user; returns a bearer JWT' })
  @ApiOkResponse({ type: TokenDto })
  login(@Body() body: LoginDto, @Req() req: FastifyRequest): Promise<TokenDto> {
    return this.auth.login(body.username, body.password, req.ip, body.tenant_id);
  }

  @Get('me')
  @AnyCaller()
  @ApiBearerAuth()
  @ApiSecurity('api-key')
  @ApiOperation({
    summary: 'Who the caller is and what it may do now',
    description:
      'For any credential (admin or user JWT, API key): its identity and effective permissions as the server holds them now, not as the token says — a demoted user sees the new role at once; a disabled user, a revoked or expired key get 401.',
  })
  @ApiOkResponse({ type: MeDto })
  me(@CurrentPrincipal() principal: Principal): Promise<MeDto> {
    return this.auth.me(principal);
  }
}
