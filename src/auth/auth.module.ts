import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { ThrottlingModule } from '../throttling/throttling.module';
import { AccessGuard } from './access.guard';
import { ApiKeyAuthenticator } from './api-key-authenticator';
import { AuthController } from './auth.controller';
import { AuthRepository } from './auth.repository';
import { AuthService } from './auth.service';
import { JwtVerifier } from './jwt-verifier';
import { SecretsService } from './secrets.service';
import { TenantStatusService } from './tenant-status.service';
import { UserStatusService } from './user-status.service';

/**
 * Authentication and access control. AccessGuard is the one APP_GUARD of the
 * server: authentication, the tenant and KB checks, permissions, and then the
 * tenant's rate limit (ThrottlingModule), in that order.
 */
@Module({
  imports: [JwtModule.register({}), ThrottlingModule],
  controllers: [AuthController],
  providers: [AuthRepository, SecretsService, TenantStatusService, UserStatusService, ApiKeyAuthenticator, JwtVerifier, AuthService, { provide: APP_GUARD, useClass: AccessGuard }],
  exports: [SecretsService, TenantStatusService, UserStatusService, ApiKeyAuthenticator, AuthService],
})
export class AuthModule {}
