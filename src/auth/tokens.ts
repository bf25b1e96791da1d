import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { z } from 'zod';
import { ROLES, type Role } from '../db/entities';
import { AppError } from '../errors';

const ISSUER = 'crm-backend';
const AUDIENCE = 'crm-api';
/** The only algorithm accepted: `none`, RS/ES confusion and unsigned tokens all fail verification. */
const ALG = 'HS256';

/** What a token this API signed carries; anything else is refused before it reaches a query. */
const Claims = z.object({ sub: z.uuid(), sid: z.uuid(), role: z.enum(ROLES), tid: z.uuid().nullable().optional() });

export interface AccessClaims {
  sub: string;
  tid: string | null;
  role: Role;
  sid: string;
}

export class UnauthorizedError extends AppError {
  constructor(message = 'Authentication required', code = 'unauthorized') {
    super(401, code, message);
  }
}

export class TokenSigner {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  get accessTtlSeconds(): number {
    return this.ttlSeconds;
  }

  sign(claims: AccessClaims): Promise<string> {
    return new SignJWT({ tid: claims.tid, role: claims.role, sid: claims.sid })
      .setProtectedHeader({ alg: ALG, typ: 'JWT' })
      .setSubject(claims.sub)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(this.key);
  }

  async verify(token: string): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: [ALG], issuer: ISSUER, audience: AUDIENCE });
      const claims = Claims.safeParse(payload);
      if (!claims.success) throw new Error('claims missing or malformed');
      return { sub: claims.data.sub, tid: claims.data.tid ?? null, role: claims.data.role, sid: claims.data.sid };
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw new UnauthorizedError('Access token expired', 'token_expired');
      throw new UnauthorizedError('Invalid access token', 'invalid_token');
    }
  }
}
