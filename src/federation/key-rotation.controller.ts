import { Controller, HttpCode, NotFoundException, Param, Post, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiParam } from '@nestjs/swagger';
import { ApiAuthGuard } from '../auth/api-auth.guard.js';
import type { ActorKind } from '../actors/actor.js';
import { ActorsService } from '../actors/actors.service.js';
import { ApiEndpoint, ApiTag } from '../openapi/api-endpoint.js';
import { ref } from '../openapi/schemas.js';
import { KeyRotationService, type RotationResult } from './key-rotation.js';

const ROTATION =
  'New RSA and Ed25519 keys replace the current ones; an `Update` of the actor carrying them is ' +
  'queued to every follower inbox.';

/** `POST /api/v1/{authors|publications}/{platformId}/rotate-keys` (scope `admin`). */
@Controller('api/v1')
@UseGuards(ApiAuthGuard)
@ApiTag('Actors')
export class KeyRotationController {
  constructor(
    private readonly actors: ActorsService,
    private readonly rotation: KeyRotationService,
  ) {}

  @Post('authors/:platformId/rotate-keys')
  @HttpCode(202)
  @ApiEndpoint({
    summary: "Rotate an author's keys",
    description: ROTATION,
    scopes: ['admin'],
    errors: { 404: 'No such author (`not_found`).' },
  })
  @ApiParam({ name: 'platformId', description: "The platform's id of the author." })
  @ApiAcceptedResponse({
    description: 'Rotated; the Update is queued.',
    schema: ref('KeyRotation'),
  })
  rotateAuthor(@Param('platformId') platformId: string): Promise<RotationResult> {
    return this.rotateOf('author', platformId);
  }

  @Post('publications/:platformId/rotate-keys')
  @HttpCode(202)
  @ApiEndpoint({
    summary: "Rotate a publication's keys",
    description: ROTATION,
    scopes: ['admin'],
    errors: { 404: 'No such publication (`not_found`).' },
  })
  @ApiParam({ name: 'platformId', description: "The platform's id of the publication." })
  @ApiAcceptedResponse({
    description: 'Rotated; the Update is queued.',
    schema: ref('KeyRotation'),
  })
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
