import { ACCOUNT_ROLES } from '@tally/platform';
import { z } from 'zod';
import { text, uuidSchema } from '../shared/common.schemas';
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
