import { Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { type SignedCheckpoint, UnknownCheckpointError, type VerificationReport } from '@tally/audit';
import { HttpProblem, parseRequest, Roles } from '@tally/platform';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AuditScheduler, SigningKeyMissing } from './audit-scheduler';

/** `POST /api/v1/audit/verifications`: the whole log, one stream, or what follows a checkpoint. */
export const verificationBody = z
  .strictObject({
    streamId: z.string().min(1).max(200).optional(),
    fromCheckpoint: z.number().int().min(1).optional(),
  })
  .refine((body) => body.streamId === undefined || body.fromCheckpoint === undefined, {
    message: 'streamId and fromCheckpoint cannot be combined',
    path: ['fromCheckpoint'],
  });

/**
 * Integrity on demand (docs/audit.md): sign a checkpoint of the log now, or verify it now. Both run in the
 * projectors' audit queue, one job at a time with the scheduled ones.
 */
@Controller('api/v1/audit')
@Roles('admin', 'auditor')
export class AuditController {
  constructor(@Inject(AuditScheduler) private readonly audit: AuditScheduler) {}

  /** 201 with the signed checkpoint (the previous one when no event arrived since). */
  @Post('checkpoints')
  @HttpCode(201)
  async checkpoint(): Promise<SignedCheckpoint> {
    try {
      return await this.audit.checkpoint();
    } catch (error) {
      if (error instanceof SigningKeyMissing) {
        throw new HttpProblem(
          503,
          'AUDIT_SIGNING_KEY_MISSING',
          'Checkpoints cannot be signed',
          'This deployment has no checkpoint signing key: set TALLY_AUDIT_SIGNING_KEY on the projectors.',
        );
      }
      throw error;
    }
  }

  /** 200 with the report; `ok: false` names the first broken link per stream and each broken checkpoint. */
  @Post('verifications')
  @HttpCode(200)
  async verify(@Req() request: FastifyRequest): Promise<VerificationReport> {
    const body = parseRequest(verificationBody, request.body ?? {}, 'body');
    try {
      return await this.audit.verify(body);
    } catch (error) {
      if (error instanceof UnknownCheckpointError) {
        throw new HttpProblem(422, 'AUDIT_CHECKPOINT_UNKNOWN', 'Unknown checkpoint', error.message, [
          { field: 'fromCheckpoint', message: `no checkpoint ${error.sequence}` },
        ]);
      }
      throw error;
    }
  }
}
