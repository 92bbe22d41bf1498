import { Module } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module.js';
import type { RuntimeConfig } from '../config/runtime.js';
import { ApiAuthGuard } from './api-auth.guard.js';
import { TokenVerifier } from './token-verifier.js';

/**
 * Authentication of the platform-facing `/api/v1`: a {@link TokenVerifier} built from
 * `API_JWT_SECRET` / `API_JWKS_URL`, and the {@link ApiAuthGuard} that uses it. Modules whose
 * controllers say `@UseGuards(ApiAuthGuard)` import this one. Needs `APP_CONFIG` (ConfigModule).
 */
@Module({
  providers: [
    {
      provide: TokenVerifier,
      inject: [APP_CONFIG],
      useFactory: (config: Pick<RuntimeConfig, 'apiJwtSecret' | 'apiJwksUrl'>) =>
        new TokenVerifier({ jwtSecret: config.apiJwtSecret, jwksUrl: config.apiJwksUrl }),
    },
    ApiAuthGuard,
  ],
  exports: [TokenVerifier, ApiAuthGuard],
})
export class AuthModule {}
