'use client';

import Script from 'next/script';
import { useEffect, useRef, useState } from 'react';

/** The part of Stripe.js this form uses (Stripe.js is loaded from js.stripe.com only in Stripe mode). */
interface StripeElement {
  mount(target: HTMLElement): void;
  destroy(): void;
}
interface StripeJs {
  elements(): { create(type: 'cardNumber' | 'cardExpiry' | 'cardCvc'): StripeElement };
  createPaymentMethod(options: {
    type: 'card';
    card: StripeElement;
  }): Promise<{ paymentMethod?: { id: string }; error?: { message?: string } }>;
}
declare global {
  interface Window {
    Stripe?: (publishableKey: string) => StripeJs;
  }
}

/**
 * Stripe Elements in place of the simulated card form: card data goes from Stripe's iframes to Stripe, and
 * the form posts only the PaymentMethod id (`paymentMethodId`). The submit is held until Stripe has made it.
 */
export function StripeCard({
  publishableKey,
  nonce,
}: {
  readonly publishableKey: string;
  readonly nonce?: string;
}) {
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const number = useRef<HTMLDivElement>(null);
  const expiry = useRef<HTMLDivElement>(null);
  const cvc = useRef<HTMLDivElement>(null);
  const hidden = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (!loaded || !window.Stripe || !number.current || !expiry.current || !cvc.current) return;
    const stripe = window.Stripe(publishableKey);
    const elements = stripe.elements();
    const cardNumber = elements.create('cardNumber');
    const cardExpiry = elements.create('cardExpiry');
    const cardCvc = elements.create('cardCvc');
    cardNumber.mount(number.current);
    cardExpiry.mount(expiry.current);
    cardCvc.mount(cvc.current);
    const form = hidden.current?.form;
    const onSubmit = (event: SubmitEvent) => {
      if (!hidden.current || hidden.current.value) return; // second pass: the id is there, let it go
      event.preventDefault();
      event.stopImmediatePropagation();
      void stripe.createPaymentMethod({ type: 'card', card: cardNumber }).then((result) => {
        if (result.error || !result.paymentMethod) {
          setError(result.error?.message ?? 'The card could not be used.');
          return;
        }
        setError(undefined);
        if (hidden.current) hidden.current.value = result.paymentMethod.id;
        form?.requestSubmit();
        setTimeout(() => {
          if (hidden.current) hidden.current.value = '';
        }, 0);
      });
    };
    form?.addEventListener('submit', onSubmit, { capture: true });
    return () => {
      form?.removeEventListener('submit', onSubmit, { capture: true });
      cardNumber.destroy();
      cardExpiry.destroy();
      cardCvc.destroy();
    };
  }, [loaded, publishableKey]);

  return (
    <>
      <Script
        src="https://js.stripe.com/v3"
        nonce={nonce}
        onReady={() => {
          setLoaded(true);
        }}
      />
      <input ref={hidden} type="hidden" name="paymentMethodId" defaultValue="" />
      <div className="field">
        <span id="card-number-label">Card number</span>
        <div ref={number} role="group" aria-labelledby="card-number-label" className="stripe-field" />
      </div>
      <div className="inline">
        <div className="field">
          <span id="card-expiry-label">Expiry</span>
          <div ref={expiry} role="group" aria-labelledby="card-expiry-label" className="stripe-field" />
        </div>
        <div className="field">
          <span id="card-cvc-label">CVC</span>
          <div ref={cvc} role="group" aria-labelledby="card-cvc-label" className="stripe-field" />
        </div>
      </div>
      {error ? (
        <p role="alert" className="alert">
          {error}
        </p>
      ) : null}
    </>
  );
}
