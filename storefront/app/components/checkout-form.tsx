'use client';

import { useActionState } from 'react';
import { placeOrder } from '../actions/checkout';
import { IDLE } from '../../lib/form-state';
import { formatMoney, type Money } from '../../lib/format';
import { StripeCard } from './stripe-card';
import { TextField } from './text-field';

interface Method {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly price: Money;
}

interface FieldProps {
  readonly name: string;
  readonly label: string;
  readonly autoComplete: string;
  readonly type?: string;
  readonly hint?: string;
  readonly inputMode?: 'numeric' | 'text' | 'email';
  readonly errors: Readonly<Record<string, string>> | undefined;
  readonly values: Readonly<Record<string, string>> | undefined;
  readonly initial?: string;
}

/** A checkout field: the shared labelled input, filled from the last attempt's values. */
function Field({ name, errors, values, initial, ...input }: FieldProps) {
  return (
    <TextField name={name} {...input} error={errors?.[name]} defaultValue={values?.[name] ?? initial ?? ''} />
  );
}

/**
 * The checkout form. Payment is the simulated provider's card form (test card numbers map to its test
 * PaymentMethods server side); with a Stripe publishable key Stripe Elements would take its place.
 */
export function CheckoutForm({
  csrf,
  email,
  methods,
  stripeKey,
  nonce,
}: {
  readonly nonce?: string;
  readonly csrf: string;
  readonly email: string;
  readonly methods: readonly Method[];
  readonly stripeKey: string | undefined;
}) {
  const [state, action, pending] = useActionState(placeOrder, IDLE);
  const errors = state.fieldErrors;
  const values = state.values;
  const chosen = values?.shippingMethod ?? methods[0]?.id;
  return (
    <form action={action} className="stack" noValidate>
      <input type="hidden" name="csrf" value={csrf} />
      {state.status === 'error' && state.message ? (
        <div role="alert" className="alert">
          <p>{state.message}</p>
        </div>
      ) : null}
      <fieldset className="stack">
        <legend>Contact and address</legend>
        <Field
          name="email"
          label="Email"
          type="email"
          inputMode="email"
          autoComplete="email"
          errors={errors}
          values={values}
          initial={email}
        />
        <Field name="name" label="Full name" autoComplete="name" errors={errors} values={values} />
        <Field name="line1" label="Address" autoComplete="address-line1" errors={errors} values={values} />
        <Field name="city" label="City" autoComplete="address-level2" errors={errors} values={values} />
        <Field
          name="postalCode"
          label="Postal code"
          autoComplete="postal-code"
          errors={errors}
          values={values}
        />
        <Field
          name="country"
          label="Country"
          autoComplete="country"
          hint="Two-letter code, e.g. DE, FR, GB"
          errors={errors}
          values={values}
        />
      </fieldset>
      <fieldset role="radiogroup" aria-labelledby="shipping-legend" className="stack">
        <legend id="shipping-legend">Shipping method</legend>
        {methods.map((method) => (
          <div key={method.id}>
            <input
              type="radio"
              id={`ship-${method.id}`}
              name="shippingMethod"
              value={method.id}
              defaultChecked={method.id === chosen}
            />{' '}
            <label htmlFor={`ship-${method.id}`}>
              {`${method.name}: ${formatMoney(method.price)}`}
              <span className="muted">{` · ${method.description}`}</span>
            </label>
          </div>
        ))}
        {methods.length === 0 ? <p>No shipping method is available right now.</p> : null}
        {errors?.shippingMethod ? <span className="field-error">{errors.shippingMethod}</span> : null}
      </fieldset>
      <fieldset className="stack">
        <legend>Payment</legend>
        {stripeKey ? (
          <StripeCard publishableKey={stripeKey} {...(nonce ? { nonce } : {})} />
        ) : (
          <>
            <p className="muted">
              Test mode: use 4242 4242 4242 4242 (approved) or 4000 0000 0000 0002 (declined).
            </p>
            <Field
              name="cardNumber"
              label="Card number"
              autoComplete="cc-number"
              inputMode="numeric"
              errors={errors}
              values={undefined}
            />
            <div className="inline">
              <Field
                name="expiry"
                label="Expiry"
                autoComplete="cc-exp"
                hint="MM/YY"
                errors={errors}
                values={undefined}
              />
              <Field
                name="cvc"
                label="CVC"
                autoComplete="cc-csc"
                inputMode="numeric"
                errors={errors}
                values={undefined}
              />
            </div>
          </>
        )}
      </fieldset>
      <div>
        <button type="submit" disabled={pending}>
          {pending ? 'Placing order…' : 'Place order'}
        </button>
      </div>
    </form>
  );
}
