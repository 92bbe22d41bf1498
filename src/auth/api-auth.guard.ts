import {
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  HttpException,
  HttpStatus,
  Injectable,
  Logger,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import type { JWTPayload } from 'jose';
import { RateLimitedLog } from '../queue/rate-limited-log.js';
import { missingScopes, type Scope } from './scopes.js';
import { TokenVerifier } from './token-verifier.js';

/** Who called an `/api/v1` endpoint, as established by {@link ApiAuthGuard}. */
export interface ApiPrincipal {
  /** The token's `sub` claim, when it has one. */
  readonly subject: string | undefined;
  readonly scopes: ReadonlySet<Scope>;
  /** Every claim of the verified token. */
  readonly claims: JWTPayload;
}

/** A request that {@link ApiAuthGuard} has let through. */
export interface AuthenticatedRequest extends Request {
  principal: ApiPrincipal;
}

/** Metadata key of {@link RequireScopes}. */
export const REQUIRED_SCOPES = 'api-auth:required-scopes';

/**
 * Declares the scopes a controller or route handler needs; {@link ApiAuthGuard} enforces them.
 * Every listed scope is required, and requirements on the class and on the handler add up (a
 * handler cannot loosen its controller's). `admin` satisfies any requirement. Without this
 * decorator a route still needs a valid token, just no particular scope.
 */
export const RequireScopes = (...scopes: Scope[]): MethodDecorator & ClassDecorator =>
  SetMetadata(REQUIRED_SCOPES, scopes);

/** The principal {@link ApiAuthGuard} put on `req`; throws if the guard did not run. */
export function principalOf(req: Request): ApiPrincipal {
  const principal = (req as Partial<AuthenticatedRequest>).principal;
  if (principal === undefined) {
    throw new Error('no API principal on this request: is the route guarded by ApiAuthGuard?');
  }
  return principal;
}

/** Route parameter decorator: the {@link ApiPrincipal} of a request guarded by ApiAuthGuard. */
export const Principal = createParamDecorator((_data: unknown, context: ExecutionContext) =>
  principalOf(context.switchToHttp().getRequest<Request>()),
);

const REALM = 'Bearer realm="api"';
/** `Bearer <token>`, the scheme case-insensitive (RFC 6750 §2.1); the verifier judges the token. */
const BEARER = /^Bearer +(\S.*)$/i;

/**
 * Authenticates `/api/v1` requests: a bearer JWT checked by {@link TokenVerifier}, then the
 * scopes of {@link RequireScopes}. Use as `@UseGuards(ApiAuthGuard)` on a controller (in a module
 * that imports `AuthModule`).
 *
 * - no bearer token, or a rejected one: 401 `{ error: 'unauthorized', message }` with
 *   `WWW-Authenticate: Bearer realm="api"` (plus `error="invalid_token"` for a rejected token);
 * - a valid token without a required scope: 403 `{ error: 'forbidden', message }`;
 * - the token could not be checked (JWKS unreachable, auth not configured): 503
 *   `{ error: 'auth_unavailable', message }`, since the caller's token may be fine.
 *
 * On success the request carries the {@link ApiPrincipal} (see {@link Principal}).
 */
@Injectable()
export class ApiAuthGuard implements CanActivate {
  private readonly logger = new Logger('ApiAuth');
  /** JWKS outages and unexpected errors: logged once per 30 s per reason, not per request. */
  private readonly warnings = new RateLimitedLog((message) => {
    this.logger.warn(message);
  });

  constructor(
    private readonly verifier: TokenVerifier,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();

    const token = bearerToken(req.headers.authorization);
    if (token === undefined) {
      res.setHeader('WWW-Authenticate', REALM);
      throw new HttpException(
        { error: 'unauthorized', message: 'missing bearer token' },
        HttpStatus.UNAUTHORIZED,
      );
    }

    const result = await this.verifier.verify(token);
    if (!result.ok) {
      if (result.kind === 'unavailable') {
        this.warnings.log(result.reason, `${result.reason}: ${result.detail ?? 'no detail'}`);
        throw new HttpException(
          { error: 'auth_unavailable', message: result.reason },
          HttpStatus.SERVICE_UNAVAILABLE,
        );
      }
      if (result.detail === undefined) this.logger.debug(`token rejected: ${result.reason}`);
      else this.warnings.log(result.reason, `token rejected: ${result.reason}: ${result.detail}`);
      res.setHeader('WWW-Authenticate', `${REALM}, error="invalid_token"`);
      throw new HttpException(
        { error: 'unauthorized', message: result.reason },
        HttpStatus.UNAUTHORIZED,
      );
    }

    const required = [
      ...new Set(
        this.reflector.getAllAndMerge<Scope[]>(REQUIRED_SCOPES, [
          context.getClass(),
          context.getHandler(),
        ]),
      ),
    ];
    const missing = missingScopes(result.scopes, required);
    if (missing.length > 0) {
      res.setHeader(
        'WWW-Authenticate',
        `${REALM}, error="insufficient_scope", scope="${required.join(' ')}"`,
      );
      throw new HttpException(
        {
          error: 'forbidden',
          message: `this endpoint requires scope${required.length > 1 ? 's' : ''} ${required.join(' ')}`,
        },
        HttpStatus.FORBIDDEN,
      );
    }

    const principal: ApiPrincipal = {
      subject: result.subject,
      scopes: result.scopes,
      claims: result.claims,
    };
    (req as AuthenticatedRequest).principal = principal;
    return true;
  }
}

/** The token of an `Authorization: Bearer <token>` header; undefined without one. */
function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  return BEARER.exec(header.trim())?.[1];
}
