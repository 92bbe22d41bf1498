import { Controller, HttpCode, NotFoundException, Param, Post, UseGuards } from '@nestjs/common';
import { ApiAuthGuard, RequireScopes } from '../auth/api-auth.guard.js';
import type { ActorKind } from '../actors/actor.js';
import { ActorsService } from '../actors/actors.service.js';
import { KeyRotationService, type RotationResult } from './key-rotation.js';

/** `POST /api/v1/{authors|publications}/{platformId}/rotate-keys` (scope `admin`). */
@Controller('api/v1')
@UseGuards(ApiAuthGuard)
@RequireScopes('admin')
export class KeyRotationController {
  constructor(
    private readonly actors: ActorsService,
    private readonly rotation: KeyRotationService,
  ) {}

  @Post('authors/:platformId/rotate-keys')
  @HttpCode(202)
  rotateAuthor(@Param('platformId') platformId: string): Promise<RotationResult> {
    return this.rotateOf('author', platformId);
  }

  @Post('publications/:platformId/rotate-keys')
  @HttpCode(202)
  rotatePublication(@Param('platformId') platformId: string): Promise<RotationResult> {
    return this.rotateOf('publication', platformId);
  }

  private async rotateOf(kind: ActorKind, platformId: string): Promise<RotationResult> {
    const actor = await this.actors.findByPlatformId(kind, platformId);
    if (actor === null) {
      throw new NotFoundException({ error: 'not_found', message: `no ${kind} ${platformId}` });
    }
    return this.rotation.rotate(actor);
  }
}
