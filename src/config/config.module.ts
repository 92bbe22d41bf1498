import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { RuntimeConfig } from './runtime.js';

/** Injection token of the {@link RuntimeConfig}. */
export const APP_CONFIG = Symbol('APP_CONFIG');

/** Makes the configuration validated at boot injectable everywhere as {@link APP_CONFIG}. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: RuntimeConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
    };
  }
}
