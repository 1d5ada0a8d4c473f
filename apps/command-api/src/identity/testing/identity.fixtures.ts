import type { LightMyRequestResponse } from 'fastify';
import type { Clock } from '../../shared/clock';
import type { MailMessage, MailSender } from '../mail/mail-sender';

/** A clock tests move forward by hand (starting at the real time, so signed tokens stay valid). */
export class TestClock implements Clock {
  private offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

/** Keeps every message; fails the next `failNext` deliveries. */
export class CapturingMailSender implements MailSender {
  readonly sent: MailMessage[] = [];
  failNext = 0;
  send(message: MailMessage): Promise<void> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      return Promise.reject(new Error('mail server unavailable'));
    }
    this.sent.push(message);
    return Promise.resolve();
  }
}

/** `Set-Cookie` values of a response, as an array. */
export function setCookies(response: LightMyRequestResponse): string[] {
  const header = response.headers['set-cookie'];
  if (header === undefined) return [];
  return Array.isArray(header) ? header : [header];
}

/** The cookie `name` of a response's `Set-Cookie`, whole (attributes included). */
export function cookieNamed(response: LightMyRequestResponse, name: string): string | undefined {
  return setCookies(response).find((cookie) => cookie.startsWith(`${name}=`));
}

/** A password the policy accepts, distinct per call. */
export function strongPassword(): string {
  return `Correct-Horse-${Math.random().toString(36).slice(2, 10)}`;
}

/** A fresh email. */
export function freshEmail(prefix = 'shopper'): string {
  return `${prefix}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}@example.com`;
}
