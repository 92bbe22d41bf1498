import {
  type DynamicModule,
  Inject,
  Injectable,
  Logger,
  Module,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import pg from 'pg';
import { APP_CONFIG } from '../config/config.module.js';
import type { RuntimeConfig } from '../config/runtime.js';
import { dataSourceOptions } from './data-source.js';

/** Injection token of a small `pg.Pool` for code that speaks plain SQL (Fedify's KV store). */
export const PG_POOL = Symbol('PG_POOL');

/** Closes {@link PG_POOL} when Nest shuts down. */
@Injectable()
class PgPoolCloser implements OnApplicationShutdown {
  constructor(@Inject(PG_POOL) private readonly pool: pg.Pool) {}
  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}

/** TypeORM on the service's database, plus {@link PG_POOL}. Migrations run before Nest starts. */
@Module({})
export class DatabaseModule {
  static forRoot(): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [APP_CONFIG],
          useFactory: (config: RuntimeConfig) => ({
            ...dataSourceOptions(config.databaseUrl),
            retryAttempts: 3,
            retryDelay: 1_000,
          }),
        }),
      ],
      providers: [
        {
          provide: PG_POOL,
          inject: [APP_CONFIG],
          useFactory: (config: RuntimeConfig) => {
            const pool = new pg.Pool({
              connectionString: config.databaseUrl,
              max: 5,
              connectionTimeoutMillis: 5_000,
            });
            // An idle client losing its connection must not take the process down.
            pool.on('error', (err) => {
              new Logger('Database').warn(`idle connection lost: ${err.message}`);
            });
            return pool;
          },
        },
        PgPoolCloser,
      ],
      exports: [PG_POOL],
    };
  }
}
