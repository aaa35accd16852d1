import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig } from '../config/app-config';
import { isPermission, ROLE_PERMISSIONS, TENANT_ROLES, TenantRole } from './permissions';
import { Principal } from './principal';
import { SecretsService } from './secrets.service';

export interface JwtClaims {
  sub: string;
  username: string;
  kind: 'admin' | 'user';
  tenant_id?: string;
  role: 'admin' | TenantRole;
}

/**
 * Bearer JWTs (passport-jwt): the algorithm is pinned to JWT_ALGORITHM, so
 * `alg: none` and algorithm swaps fail; exp is enforced. Claims are trusted
 * only after the signature checks out.
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
    if (!claims || typeof claims.sub !== 'string' || typeof claims.username !== 'string') return false;
    if (claims.kind === 'admin' && claims.role === 'admin' && claims.tenant_id === undefined) {
      return { kind: 'admin', id: claims.sub, username: claims.username };
    }
    if (claims.kind === 'user' && typeof claims.tenant_id === 'string' && TENANT_ROLES.includes(claims.role as TenantRole)) {
      const role = claims.role as TenantRole;
      return {
        kind: 'user',
        id: claims.sub,
        username: claims.username,
        tenantId: claims.tenant_id,
        role,
        permissions: new Set(ROLE_PERMISSIONS[role].filter(isPermission)),
      };
    }
    return false;
  }
}
