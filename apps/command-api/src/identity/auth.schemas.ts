import { ACCOUNT_ROLES } from '@tally/platform';
import { z } from 'zod';
import { text, uuidSchema, versionSchema } from '../shared/common.schemas';
import type { ApiOperation } from '../shared/openapi';
import { emailSchema } from './email';
import { PASSWORD_LENGTH } from './password-policy';

// Request shapes of the identity endpoints: the only place they are checked. Password strength is checked
// after the shape (it needs the email), by `assertStrongPassword`.

/** Long enough for any policy-conforming password; bounded so hashing cannot be abused with megabytes. */
const passwordSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(1024, 'must be at most 1024 characters')
  .meta({
    description: `${PASSWORD_LENGTH.min} to ${PASSWORD_LENGTH.max} characters, not a common password`,
  });

export const signUpBody = z.strictObject({
  email: emailSchema,
  password: passwordSchema,
  name: text(200),
});

export const signInBody = z.strictObject({ email: emailSchema, password: passwordSchema });

/** The refresh token may come in the body (API clients) or in the `tally_refresh` cookie (browsers). */
export const refreshBody = z
  .strictObject({ refreshToken: z.string().min(1).max(512).optional() })
  .optional()
  .transform((body) => body ?? {});

export const passwordResetBody = z.strictObject({ email: emailSchema });

export const passwordResetConfirmBody = z.strictObject({
  token: z.string().min(1, 'must not be empty').max(512, 'must be at most 512 characters'),
  password: passwordSchema,
});

export const customerPath = z.strictObject({ customerId: uuidSchema });
export const changeRoleBody = z.strictObject({ role: z.enum(ACCOUNT_ROLES) });

// Response shapes, for the OpenAPI document.

/** What sign-up, sign-in and refresh answer (the tokens are also set as httpOnly cookies). */
export const sessionResponse = z.object({
  customerId: uuidSchema,
  email: z.string().meta({ format: 'email' }),
  name: z.string(),
  role: z.enum(ACCOUNT_ROLES),
  accessToken: z.string().meta({ description: 'JWT (HS256); send as `Authorization: Bearer`' }),
  refreshToken: z.string().meta({ description: 'Single use: `POST /api/v1/auth/refresh` spends it' }),
  expiresIn: z.number().int().meta({ description: 'Seconds the access token is valid (900)' }),
});

/** Sign-up and sign-in also say which cart the guest cart the request carried was merged into. */
export const openedSessionResponse = sessionResponse.extend({
  cartId: uuidSchema.nullable().meta({
    description:
      "The customer's cart the request's guest cart was merged into (event CartsMerged); null when none",
  }),
});

export const passwordResetAccepted = z.object({ message: z.string() });

export const roleChanged = z.object({
  customerId: uuidSchema,
  role: z.enum(ACCOUNT_ROLES),
  version: versionSchema,
});

const SESSION_COOKIES =
  'tally_access (15 min) and tally_refresh (7 days, path /api/v1/auth); httpOnly, SameSite=Lax';
const TAMPERED_CART = {
  status: 403,
  description:
    'CART_TOKEN_INVALID: the guest cart token (cookie tally_cart or Tally-Cart-Token) was tampered with',
};
const IDEMPOTENCY_REUSED = {
  status: 422,
  description: 'IDEMPOTENCY_KEY_REUSED: the Idempotency-Key was used for a different request',
};
const auth = '/api/v1/auth';

export const identityOperations: readonly ApiOperation[] = [
  {
    method: 'post',
    path: `${auth}/sign-up`,
    operationId: 'signUp',
    summary: 'Create a customer account and sign in; merges the guest cart the request carries',
    tag: 'identity',
    body: signUpBody,
    success: { status: 201, description: 'Signed up and signed in', schema: openedSessionResponse },
    location: false,
    setCookie: `${SESSION_COOKIES}; tally_cart when a guest cart was merged`,
    credentials: { account: false, cartToken: true },
    problems: [
      {
        status: 400,
        description:
          'Fields that fail validation (malformed email, ...), or WEAK_PASSWORD (field password): too short, too long, a common password or containing the email',
      },
      TAMPERED_CART,
      {
        status: 409,
        description:
          'EMAIL_TAKEN (field email): an account with this email exists; or the Idempotency-Key is still in use',
      },
      IDEMPOTENCY_REUSED,
    ],
  },
  {
    method: 'post',
    path: `${auth}/sign-in`,
    operationId: 'signIn',
    summary: 'Sign in with email and password; merges the guest cart the request carries',
    tag: 'identity',
    body: signInBody,
    success: { status: 200, description: 'Signed in', schema: openedSessionResponse },
    setCookie: `${SESSION_COOKIES}; tally_cart when a guest cart was merged`,
    credentials: { account: false, cartToken: true },
    problems: [
      {
        status: 401,
        description:
          'INVALID_CREDENTIALS: the email or password is not correct (the same answer, after the same work, for an unknown email)',
      },
      TAMPERED_CART,
      409,
      IDEMPOTENCY_REUSED,
      {
        status: 429,
        description:
          'TOO_MANY_ATTEMPTS: too many failed sign-ins for this account or from this address; see Retry-After',
      },
    ],
  },
  {
    method: 'post',
    path: `${auth}/refresh`,
    operationId: 'refreshSession',
    summary: 'Spend a refresh token for a new access and refresh token (rotation)',
    tag: 'identity',
    body: refreshBody,
    bodyRequired: false,
    commandHeaders: false,
    success: { status: 200, description: 'New tokens', schema: sessionResponse },
    setCookie: SESSION_COOKIES,
    credentials: { account: false, refreshToken: true },
    problems: [
      {
        status: 401,
        description:
          'REFRESH_TOKEN_INVALID: missing, unknown, expired or revoked; REFRESH_TOKEN_REUSED: already spent, so its whole family is revoked',
      },
    ],
  },
  {
    method: 'post',
    path: `${auth}/sign-out`,
    operationId: 'signOut',
    summary: "Revoke the session's refresh tokens and clear the cookies",
    tag: 'identity',
    body: refreshBody,
    bodyRequired: false,
    commandHeaders: false,
    success: { status: 204, description: 'Signed out (also when there was no session)' },
    setCookie: 'Clears tally_access, tally_refresh and tally_cart (Max-Age=0)',
    credentials: { account: false, refreshToken: true },
    problems: [],
  },
  {
    method: 'post',
    path: `${auth}/password-reset`,
    operationId: 'requestPasswordReset',
    summary: 'Email a password reset link, if an account has this email',
    tag: 'identity',
    body: passwordResetBody,
    commandHeaders: false,
    location: false,
    success: {
      status: 202,
      description: 'Always, whether or not an account has the email (accounts cannot be probed)',
      schema: passwordResetAccepted,
    },
    credentials: { account: false },
    problems: [],
  },
  {
    method: 'post',
    path: `${auth}/password-reset/confirm`,
    operationId: 'confirmPasswordReset',
    summary: 'Set a new password with a reset token; signs out every session of the account',
    tag: 'identity',
    body: passwordResetConfirmBody,
    commandHeaders: false,
    success: { status: 204, description: 'Password changed' },
    credentials: { account: false },
    problems: [
      {
        status: 400,
        description:
          'Fields that fail validation, RESET_TOKEN_INVALID (field token): unknown, expired or already used, or WEAK_PASSWORD (field password)',
      },
    ],
  },
  {
    method: 'put',
    path: '/api/v1/customers/{customerId}/role',
    operationId: 'changeCustomerRole',
    summary: "Change an account's role (takes effect at its next sign-in or refresh)",
    tag: 'identity',
    params: customerPath,
    body: changeRoleBody,
    success: { status: 200, description: 'Changed (or already so)', schema: roleChanged },
    problems: [403, 404, 409, 412, 422],
  },
];
