import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { AccessGuard } from './access.guard';
import { ApiKeyAuthenticator } from './api-key-authenticator';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { JwtStrategy } from './jwt.strategy';
import { SecretsService } from './secrets.service';
import { TenantStatusService } from './tenant-status.service';
import { UserStatusService } from './user-status.service';

@Global()
@Module({
  imports: [PassportModule, JwtModule.register({})],
  controllers: [AuthController],
  providers: [
    SecretsService,
    TenantStatusService,
    UserStatusService,
    ApiKeyAuthenticator,
    JwtStrategy,
    AuthService,
    { provide: APP_GUARD, useClass: AccessGuard },
  ],
  exports: [SecretsService, TenantStatusService, UserStatusService, ApiKeyAuthenticator],
})
export class AuthModule {}
