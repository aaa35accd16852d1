import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AuditAction } from '../common/audit-action';
import { LoginDto, TokenDto } from './auth.dto';
import { AuthService } from './auth.service';
import { Public } from '../context/decorators';

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
}
