'use server';

import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { commandApi } from '../../lib/api';
import { cartTokenFromSetCookie } from '../../lib/cart';
import { CART_COOKIE, REFRESH_COOKIE } from '../../lib/cookies';
import { verifyCsrf } from '../../lib/csrf';
import { csrfFailed, problemState, text, type FormState } from '../../lib/forms';
import { clearSession, storeCartToken, storeCustomerCartId, storeTokens } from '../../lib/session';
import type { AuthResponse } from '../../lib/types';

/** Only same-site paths: `next=https://evil.example` or `//evil.example` goes home instead. */
function safeNext(next: string, fallback: string): string {
  return next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : fallback;
}

/**
 * Keeps what sign-in or sign-up returned: the token pair as httpOnly cookies on the storefront's origin, and
 * the cart the guest cart was merged into (its token when the API set one, else its id).
 */
async function keepSession(result: { data: AuthResponse; setCookies: readonly string[] }): Promise<void> {
  await storeTokens(result.data);
  const jar = await cookies();
  const cartToken = cartTokenFromSetCookie(result.setCookies);
  if (cartToken) await storeCartToken(cartToken);
  else jar.delete(CART_COOKIE); // the guest cart, if any, now lives on in the customer's cart
  if (result.data.cartId) await storeCustomerCartId(result.data.cartId);
}

/** "Create account": the guest cart, if any, is merged into the new customer's cart. */
export async function signUp(_previous: FormState, form: FormData): Promise<FormState> {
  if (!(await verifyCsrf(form))) return csrfFailed();
  const values = { name: text(form, 'name'), email: text(form, 'email') };
  const result = await commandApi<AuthResponse>('POST', '/api/v1/auth/sign-up', {
    body: { ...values, password: typeof form.get('password') === 'string' ? form.get('password') : '' },
  });
  if (!result.ok) return problemState(result.problem, values);
  await keepSession(result);
  redirect(safeNext(text(form, 'next'), '/account'));
}

/** "Sign in": same answer for an unknown email and a wrong password; 429 says when to try again. */
export async function signIn(_previous: FormState, form: FormData): Promise<FormState> {
  if (!(await verifyCsrf(form))) return csrfFailed();
  const values = { email: text(form, 'email') };
  const result = await commandApi<AuthResponse>('POST', '/api/v1/auth/sign-in', {
    body: { ...values, password: typeof form.get('password') === 'string' ? form.get('password') : '' },
  });
  if (!result.ok) {
    if (result.problem.code === 'INVALID_CREDENTIALS')
      return { status: 'error', message: 'The email or password is not right.', values };
    if (result.status === 429)
      return {
        status: 'error',
        message: 'Too many attempts. Please wait a few minutes and try again.',
        values,
      };
    return problemState(result.problem, values);
  }
  await keepSession(result);
  redirect(safeNext(text(form, 'next'), '/account'));
}

/** "Sign out": the API revokes the refresh token's family; every session cookie here goes. */
export async function signOut(form: FormData): Promise<void> {
  if (!(await verifyCsrf(form))) redirect('/account?error=csrf');
  const refresh = (await cookies()).get(REFRESH_COOKIE)?.value;
  if (refresh) await commandApi('POST', '/api/v1/auth/sign-out', { body: { refreshToken: refresh } });
  await clearSession();
  redirect('/');
}

/** Password reset, step 1: always the same answer, whether or not the email has an account. */
export async function requestPasswordReset(_previous: FormState, form: FormData): Promise<FormState> {
  if (!(await verifyCsrf(form))) return csrfFailed();
  const values = { email: text(form, 'email') };
  const result = await commandApi('POST', '/api/v1/auth/password-reset', { body: values, anonymous: true });
  if (!result.ok && result.status === 400) return problemState(result.problem, values);
  if (!result.ok && result.status >= 500) return problemState(result.problem, values);
  return {
    status: 'ok',
    message: 'If an account exists for that email, we have sent it a link to choose a new password.',
    values,
  };
}

/** Password reset, step 2: the token from the email and the new password. */
export async function confirmPasswordReset(_previous: FormState, form: FormData): Promise<FormState> {
  if (!(await verifyCsrf(form))) return csrfFailed();
  const token = text(form, 'token');
  const password = form.get('password');
  const result = await commandApi('POST', '/api/v1/auth/password-reset/confirm', {
    body: { token, password: typeof password === 'string' ? password : '' },
    anonymous: true,
  });
  if (!result.ok) {
    if (result.problem.code === 'RESET_TOKEN_INVALID')
      return {
        status: 'error',
        message: 'This reset link is invalid, expired or already used. Ask for a new one.',
        values: { token },
      };
    return problemState(result.problem, { token });
  }
  redirect('/account/sign-in?reset=1');
}
