import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import pino from 'pino';
import { type HttpLogger, type Options, pinoHttp } from 'pino-http';
import type { LogFormat, LogLevel } from '../config/config.js';
import { logDestination, requestId } from './logger.js';

/** Injection token of the pino-http middleware; mounted first, before Fedify's middleware. */
export const HTTP_LOGGER = Symbol('HTTP_LOGGER');

/**
 * Structured logs through pino: one JSON record per line, `reqId` on everything logged while
 * handling a request, and one access record per request (health probes excluded). The HTTP logger
 * is mounted by the app ahead of every other middleware, so requests Fedify answers are logged too.
 */
@Module({})
export class LoggingModule {
  static forRoot(level: LogLevel, format: LogFormat): DynamicModule {
    const options: Options = {
      logger: pino({ level }, logDestination(format)),
      genReqId: requestId,
      autoLogging: { ignore: (req) => req.url?.startsWith('/health/') ?? false },
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    };
    const httpLogger: HttpLogger = pinoHttp(options);
    return {
      module: LoggingModule,
      global: true,
      imports: [LoggerModule.forRoot({ pinoHttp: options, useExisting: true })],
      providers: [{ provide: HTTP_LOGGER, useValue: httpLogger }],
      exports: [HTTP_LOGGER],
    };
  }
}
