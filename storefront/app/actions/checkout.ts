'use server';

import { redirect } from 'next/navigation';
import { commandApi, queryApi } from '../../lib/api';
import { checkCvc, checkExpiry, simulatedPaymentMethodForCard } from '../../lib/cards';
import { loadCart, openCart } from '../../lib/cart';
import { storefrontConfig } from '../../lib/config';
import { verifyCsrf } from '../../lib/csrf';
import { csrfFailed, problemState, text, type FormState } from '../../lib/forms';
import type { Cart, Order } from '../../lib/types';

const FIELDS = ['email', 'name', 'line1', 'city', 'postalCode', 'country', 'shippingMethod'] as const;

/** API field names -> this form's input names. */
const FIELD_MAP: Readonly<Record<string, string>> = {
  'shippingAddress.name': 'name',
  'shippingAddress.line1': 'line1',
  'shippingAddress.city': 'city',
  'shippingAddress.postalCode': 'postalCode',
  'shippingAddress.country': 'country',
  'payment.paymentMethodId': 'cardNumber',
};

/** How long the page waits for the payment's outcome before showing the order page, which follows it live. */
const OUTCOME_WAIT_MS = 15_000;
const POLL_MS = 250;

/**
 * "Place order": checks the card form, checks the cart out (which places the order; stock and payment follow
 * asynchronously), then waits for the payment's outcome. Authorized: the order page. Declined: the alert,
 * and the cart is opened again with the same lines, so the shopper can pay with another card.
 */
export async function placeOrder(_previous: FormState, form: FormData): Promise<FormState> {
  if (!(await verifyCsrf(form))) return csrfFailed();
  const values: Record<string, string> = {};
  for (const field of FIELDS) values[field] = text(form, field);
  values.country = values.country?.toUpperCase() ?? '';

  const errors: Record<string, string> = {};
  if (!values.email) errors.email = 'Enter your email address.';
  if (!values.name) errors.name = 'Enter your full name.';
  if (!values.line1) errors.line1 = 'Enter your street address.';
  if (!values.city) errors.city = 'Enter your city.';
  if (!values.postalCode) errors.postalCode = 'Enter your postal code.';
  if (!/^[A-Z]{2}$/.test(values.country)) errors.country = 'Enter a two-letter country code, e.g. DE.';
  if (!values.shippingMethod) errors.shippingMethod = 'Choose a shipping method.';
  // Stripe mode: Stripe.js made the PaymentMethod in the browser; the card never reaches this server.
  const stripeMode = storefrontConfig().stripePublishableKey !== undefined;
  const paymentMethodId = stripeMode
    ? text(form, 'paymentMethodId')
    : simulatedPaymentMethodForCard(text(form, 'cardNumber'));
  if (stripeMode) {
    if (!/^pm_[A-Za-z0-9_]+$/.test(paymentMethodId ?? '')) errors.cardNumber = 'Enter your card details.';
  } else {
    if (!paymentMethodId) errors.cardNumber = 'Enter a test card number, e.g. 4242 4242 4242 4242.';
    const expiry = checkExpiry(text(form, 'expiry'), new Date());
    if (expiry) errors.expiry = expiry;
    const cvc = checkCvc(text(form, 'cvc'));
    if (cvc) errors.cvc = cvc;
  }
  if (Object.keys(errors).length > 0)
    return {
      status: 'error',
      message: 'Please correct the highlighted fields.',
      fieldErrors: errors,
      values,
    };

  const cart = await loadCart();
  if (!cart || cart.lines.length === 0)
    return { status: 'error', message: 'Your cart is empty or has already been checked out.', values };

  const checkedOut = await commandApi<{ orderId: string }>(
    'POST',
    `/api/v1/carts/${encodeURIComponent(cart.cartId)}/checkout`,
    {
      body: {
        email: values.email,
        shippingAddress: {
          name: values.name,
          line1: values.line1,
          city: values.city,
          postalCode: values.postalCode,
          country: values.country,
        },
        shippingMethod: values.shippingMethod,
        payment: { paymentMethodId },
      },
      ifMatch: cart.version,
      idempotencyKey: `checkout-${cart.cartId}-${cart.version}`,
    },
  );
  if (!checkedOut.ok) return problemState(checkedOut.problem, values, FIELD_MAP);
  const { orderId } = checkedOut.data;

  const order = await waitForPaymentOutcome(orderId, checkedOut.consistency);
  if (order && isDeclined(order)) {
    await restoreCart(cart);
    return {
      status: 'error',
      message: `Your card was declined${order.payment.declineReason ? ` (${order.payment.declineReason.replace(/_/g, ' ')})` : ''}. Nothing was charged and your cart is unchanged: try another card.`,
      fieldErrors: { cardNumber: 'This card was declined.' },
      values,
    };
  }
  redirect(`/orders/${encodeURIComponent(orderId)}?placed=1`);
}

function isDeclined(order: Order): boolean {
  return (
    order.payment.status === 'declined' ||
    (order.status === 'cancelled' && order.cancellationReason === 'payment_declined')
  );
}

/** Polls the order until its payment is decided or the wait is over (the order page follows it from there). */
async function waitForPaymentOutcome(
  orderId: string,
  consistency: string | undefined,
): Promise<Order | undefined> {
  const deadline = Date.now() + OUTCOME_WAIT_MS;
  let last: Order | undefined;
  while (Date.now() < deadline) {
    const result = await queryApi<Order>(`/api/v1/orders/${encodeURIComponent(orderId)}`, {
      consistency: consistency ?? null,
    });
    if (result.ok) {
      last = result.data;
      if (last.status !== 'pending' || ['authorized', 'captured', 'declined'].includes(last.payment.status))
        return last;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return last;
}

/** The checked-out cart is frozen for its order; a new cart with the same lines keeps the shopper's cart. */
async function restoreCart(cart: Cart): Promise<void> {
  const opened = await openCart();
  if (!opened.ok) return;
  for (const line of cart.lines) {
    await commandApi('POST', `/api/v1/carts/${encodeURIComponent(opened.data.cartId)}/items`, {
      body: { sku: line.sku, quantity: line.quantity },
    });
  }
}
