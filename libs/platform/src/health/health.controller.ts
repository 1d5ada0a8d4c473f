import { Controller, Get, Header, HttpCode, Inject, Res } from '@nestjs/common';
import { Roles } from '../auth/roles.guard';
import type { FastifyReply } from 'fastify';
import type { Registry } from 'prom-client';
import { METRICS_REGISTRY, READINESS_CHECKS } from '../tokens';

/** A named dependency check for `/readyz`; resolves when the dependency is usable, throws otherwise. */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<void>;
}

/** Liveness, readiness and Prometheus metrics, served by every app (DESIGN.md §8). */
@Controller()
@Roles('guest')
export class HealthController {
  constructor(
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
    @Inject(READINESS_CHECKS) private readonly checks: readonly ReadinessCheck[],
  ) {}

  @Get('healthz')
  @HttpCode(200)
  healthz(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('readyz')
  async readyz(@Res() reply: FastifyReply): Promise<void> {
    const results = await Promise.all(
      this.checks.map(async (check) => {
        try {
          await withTimeout(check.check(), 2000);
          return { name: check.name, status: 'ok' as const };
        } catch (error) {
          return { name: check.name, status: 'failing' as const, detail: (error as Error).message };
        }
      }),
    );
    const ready = results.every((result) => result.status === 'ok');
    await reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks: results });
  }

  @Get('metrics')
  @Header('cache-control', 'no-store')
  async metrics(@Res() reply: FastifyReply): Promise<void> {
    const body = await this.registry.metrics();
    await reply.header('content-type', this.registry.contentType).send(body);
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error(`timed out after ${ms} ms`));
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
