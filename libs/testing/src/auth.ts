import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { METHOD_METADATA } from '@nestjs/common/constants';
import { MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import { type AccountRole, declaredRoles, signAccessToken } from '@tally/platform';

/** The auth secret every test process and in-process app shares (tests mint tokens with it). */
export const TEST_AUTH_SECRET = 'tally-test-auth-secret-0123456789abcdef';

/**
 * A valid access token for a fresh account of `role` (or the given id): what tests send as
 * `Authorization: Bearer` to act as an admin or a particular customer without signing up first.
 */
export function testAccessToken(
  role: AccountRole,
  id: string = randomUUID(),
  secret = TEST_AUTH_SECRET,
): string {
  return signAccessToken({ sub: id, role, email: `${role}-${id}@example.test` }, secret, new Date());
}

/** `{ authorization: 'Bearer …' }` for {@link testAccessToken}. */
export function authHeader(role: AccountRole, id?: string): { authorization: string } {
  return { authorization: `Bearer ${testAccessToken(role, id)}` };
}

/**
 * Every HTTP route of `app` (as `Controller.method`) whose handler and controller declare no `@Roles`:
 * the global guard refuses those, but a test asserting this list is empty catches them before a user
 * does, and makes sure no route is ever open by accident.
 */
export function routesWithoutRoles(app: INestApplication): string[] {
  const reflector = app.get(Reflector);
  const scanner = new MetadataScanner();
  const missing: string[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => object) | null;
      if (!controller || typeof controller !== 'function') continue;
      const prototype = controller.prototype as Record<string, unknown>;
      for (const name of scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name] as (...args: unknown[]) => unknown;
        // Only HTTP routes carry a request method; message patterns (NATS) do not reach the guard's check.
        if (Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
        if (declaredRoles(reflector, handler, controller) === undefined) {
          missing.push(`${controller.name}.${name}`);
        }
      }
    }
  }
  return missing;
}

/** How many HTTP routes `app` has (so a test of {@link routesWithoutRoles} knows it looked at some). */
export function httpRouteCount(app: INestApplication): number {
  const scanner = new MetadataScanner();
  let count = 0;
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => object) | null;
      if (!controller || typeof controller !== 'function') continue;
      const prototype = controller.prototype as Record<string, unknown>;
      for (const name of scanner.getAllMethodNames(prototype)) {
        if (Reflect.getMetadata(METHOD_METADATA, prototype[name] as object) !== undefined) count += 1;
      }
    }
  }
  return count;
}
