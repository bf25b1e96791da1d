import { randomUUID } from 'node:crypto';
import { LockMode, UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../config';
import { ApiKeySchema, AuthSessionSchema, RotatedTokenSchema, TenantSchema, UserSchema, type Role, type User } from '../db/entities';
import { AppError } from '../errors';
import { createTenant } from '../tenants/create';
import type { Principal } from './principal';
import { decoyHash, hashPassword, randomSecret, sha256, verifyPassword } from './secrets';
import { TokenSigner, UnauthorizedError } from './tokens';

export interface TokenPair {
  access_token: string;
  token_type: 'bearer';
  expires_in: number;
  refresh_token: string;
}

const LIVE_SESSION_SQL = `
select u.tenant_id, u.role, t.is_active as tenant_active
from auth_sessions s
join users u on u.id = s.user_id and u.is_active
left join tenants t on t.id = u.tenant_id
where s.id = ? and u.id = ? and s.revoked_at is null`;

/** Reads that must cross tenants (sign-in, token checks) say so explicitly. */
const ANY_TENANT = { filters: false } as const;
const API_KEY_LAST_USED_PRECISION_MS = 60_000;

export class EmailTakenError extends AppError {
  constructor() {
    super(400, 'email_taken', 'Email already registered');
  }
}

/** Registration, sign-in, token rotation and the per-request identity check. */
export class AuthService {
  readonly signer: TokenSigner;

  constructor(private readonly config: Pick<Config, 'JWT_SECRET' | 'ACCESS_TOKEN_TTL_SECONDS' | 'REFRESH_TOKEN_TTL_DAYS'>) {
    this.signer = new TokenSigner(config.JWT_SECRET, config.ACCESS_TOKEN_TTL_SECONDS);
  }

  /** Creates the tenant, its ADMIN and its default configuration in one transaction. */
  async register(em: EntityManager, input: { email: string; password: string; brokerName: string; name?: string }): Promise<TokenPair> {
    const passwordHash = await hashPassword(input.password);
    return em.transactional(async (tx) => {
      if (await tx.count(UserSchema, { email: input.email }, ANY_TENANT)) throw new EmailTakenError();
      const userId = randomUUID();
      const tenant = createTenant(tx, input.brokerName, userId);
      const user = tx.create(UserSchema, { id: userId, tenantId: tenant.id, email: input.email, name: input.name ?? input.brokerName, passwordHash, role: 'ADMIN' });
      await flushNewUser(tx);
      return this.startSession(tx, user);
    });
  }

  /** Creates a staff user; callers check who may create which role. */
  async createUser(em: EntityManager, input: { tenantId: string | null; email: string; password: string; name: string; role: Role }): Promise<User> {
    const passwordHash = await hashPassword(input.password);
    if (await em.count(UserSchema, { email: input.email }, ANY_TENANT)) throw new EmailTakenError();
    const user = em.create(UserSchema, { ...input, passwordHash });
    await flushNewUser(em);
    return user;
  }

  async login(em: EntityManager, email: string, password: string): Promise<TokenPair> {
    const user = await em.findOne(UserSchema, { email }, ANY_TENANT);
    // Verify against a decoy when the email is unknown, so response time does not tell.
    const ok = await verifyPassword(user?.passwordHash ?? (await decoyHash()), password);
    if (!user || !ok || !user.isActive || !(await this.tenantActive(em, user.tenantId))) {
      throw new UnauthorizedError('Invalid email or password', 'invalid_credentials');
    }
    return em.transactional((tx) => this.startSession(tx, user));
  }

  /** Rotates the refresh token; a token that was already rotated revokes its whole session. */
  async refresh(em: EntityManager, refreshToken: string): Promise<TokenPair> {
    const hash = sha256(refreshToken);
    const outcome = await em.transactional(async (tx) => {
      const session = await tx.findOne(AuthSessionSchema, { currentTokenHash: hash }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!session) {
        const rotated = await tx.findOne(RotatedTokenSchema, { tokenHash: hash });
        if (rotated) {
          await tx.nativeUpdate(AuthSessionSchema, { id: rotated.sessionId, revokedAt: null }, { revokedAt: new Date(), revokedReason: 'refresh_token_reused' });
          return { error: new UnauthorizedError('Refresh token was already used; the session has been revoked', 'refresh_token_reused') };
        }
        return { error: new UnauthorizedError('Invalid refresh token', 'invalid_token') };
      }
      if (session.revokedAt || session.expiresAt.getTime() < Date.now()) return { error: new UnauthorizedError('Session has ended', 'session_ended') };
      const user = await tx.findOne(UserSchema, { id: session.userId }, ANY_TENANT);
      if (!user?.isActive || !(await this.tenantActive(tx, user.tenantId))) return { error: new UnauthorizedError('Account is disabled', 'account_disabled') };
      const next = randomSecret('rt_');
      tx.create(RotatedTokenSchema, { tokenHash: hash, sessionId: session.id });
      session.currentTokenHash = sha256(next);
      session.rotations += 1;
      session.lastUsedAt = new Date();
      await tx.flush();
      return { pair: await this.pair(user, session.id, next) };
    });
    // The revocation above must commit even though the request fails, so the error leaves after.
    if ('error' in outcome) throw outcome.error;
    return outcome.pair;
  }

  async logout(em: EntityManager, sessionId: string): Promise<void> {
    await em.nativeUpdate(AuthSessionSchema, { id: sessionId, revokedAt: null }, { revokedAt: new Date(), revokedReason: 'logout' });
  }

  /**
   * The per-request check: a valid signature is not enough, the user, session and tenant must
   * still be live. One round trip, as every authenticated request pays for it.
   */
  async authenticateBearer(em: EntityManager, token: string): Promise<Principal> {
    const claims = await this.signer.verify(token);
    const [row] = await em.execute<Array<{ tenant_id: string | null; role: Role; tenant_active: boolean | null }>>(LIVE_SESSION_SQL, [claims.sid, claims.sub]);
    if (!row) throw new UnauthorizedError('Session is no longer valid', 'invalid_token');
    if (row.tenant_id && !row.tenant_active) throw new UnauthorizedError('Account is disabled', 'account_disabled');
    return { kind: 'user', id: claims.sub, tenantId: row.tenant_id, role: row.role, sessionId: claims.sid };
  }

  async authenticateApiKey(em: EntityManager, secret: string): Promise<Principal> {
    const key = await em.findOne(ApiKeySchema, { secretHash: sha256(secret) }, ANY_TENANT);
    if (!key || key.revokedAt || !(await this.tenantActive(em, key.tenantId))) throw new UnauthorizedError('Invalid API key', 'invalid_api_key');
    if (!key.lastUsedAt || Date.now() - key.lastUsedAt.getTime() > API_KEY_LAST_USED_PRECISION_MS) {
      await em.nativeUpdate(ApiKeySchema, { id: key.id }, { lastUsedAt: new Date() }, ANY_TENANT);
    }
    return {
      kind: 'api_key',
      id: key.id,
      tenantId: key.tenantId,
      role: key.scopes.includes('admin') ? 'ADMIN' : 'AGENT',
      scopes: key.scopes,
      rateLimitPerMinute: key.rateLimitPerMinute ?? null,
    };
  }

  private async tenantActive(em: EntityManager, tenantId: string | null | undefined): Promise<boolean> {
    if (!tenantId) return true;
    const tenant = await em.findOne(TenantSchema, { id: tenantId });
    return Boolean(tenant?.isActive);
  }

  private async startSession(em: EntityManager, user: User): Promise<TokenPair> {
    const refreshToken = randomSecret('rt_');
    const session = em.create(AuthSessionSchema, {
      userId: user.id,
      currentTokenHash: sha256(refreshToken),
      expiresAt: new Date(Date.now() + this.config.REFRESH_TOKEN_TTL_DAYS * 86_400_000),
    });
    await em.flush();
    return this.pair(user, session.id, refreshToken);
  }

  private async pair(user: User, sessionId: string, refreshToken: string): Promise<TokenPair> {
    const access = await this.signer.sign({ sub: user.id, tid: user.tenantId ?? null, role: user.role, sid: sessionId });
    return { access_token: access, token_type: 'bearer', expires_in: this.signer.accessTtlSeconds, refresh_token: refreshToken };
  }
}

/** The count before it answers most repeats; two at once meet the email's unique index instead. */
async function flushNewUser(em: EntityManager): Promise<void> {
  try {
    await em.flush();
  } catch (err) {
    if (err instanceof UniqueConstraintViolationException) throw new EmailTakenError();
    throw err;
  }
}
