import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig } from '../config/app-config';
import { isPermission, ROLE_PERMISSIONS, TENANT_ROLES, TenantRole } from '../context/permissions';
import { Principal } from '../context/principal';
import { SecretsService } from './secrets.service';

export interface JwtClaims {
  sub: string;
  username: string;
  kind: 'admin' | 'user';
  tenant_id?: string;
  role: 'admin' | TenantRole;
  /** users.token_version when the token was issued; a password change makes older tokens invalid. */
  ver: number;
  iat?: number;
  exp?: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Bearer JWTs (passport-jwt): the algorithm is pinned to JWT_ALGORITHM, so
 * `alg: none` and algorithm swaps fail; exp is required and enforced (a token
 * without exp is refused: jsonwebtoken alone would accept it forever). Claims
 * are trusted only after the signature checks out, and even then the guard
 * re-reads the user or admin from the database (UserStatusService): the id
 * must exist, be active and still be at the token's `ver`.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(config: AppConfig, secrets: SecretsService) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      ignoreExpiration: false,
      algorithms: [config.settings.jwtAlgorithm],
      secretOrKeyProvider: (_req: unknown, _token: unknown, done: (err: Error | null, secret?: string) => void) =>
        done(null, secrets.tokenSecret),
    });
  }

  validate(claims: JwtClaims): Principal | false {
    if (!claims || typeof claims.sub !== 'string' || !UUID.test(claims.sub) || typeof claims.username !== 'string') return false;
    if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) return false;
    if (!Number.isSafeInteger(claims.ver) || claims.ver < 0) return false;
    if (claims.kind === 'admin' && claims.role === 'admin' && claims.tenant_id === undefined) {
      return { kind: 'admin', id: claims.sub, username: claims.username, tokenVersion: claims.ver };
    }
    if (claims.kind === 'user' && typeof claims.tenant_id === 'string' && UUID.test(claims.tenant_id) && TENANT_ROLES.includes(claims.role as TenantRole)) {
      const role = claims.role as TenantRole;
      return {
        kind: 'user',
        id: claims.sub,
        username: claims.username,
        tenantId: claims.tenant_id,
        role,
        permissions: new Set(ROLE_PERMISSIONS[role].filter(isPermission)),
        tokenVersion: claims.ver,
      };
    }
    return false;
  }
}
