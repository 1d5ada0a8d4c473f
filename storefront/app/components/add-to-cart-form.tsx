'use client';

import { useActionState } from 'react';
import { addToCart } from '../actions/cart';
import { IDLE } from '../../lib/form-state';

/** Quantity + "Add to cart"; the API's problem shows next to the quantity (or as the summary). */
export function AddToCartForm({
  sku,
  csrf,
  disabled,
}: {
  readonly sku: string;
  readonly csrf: string;
  readonly disabled: boolean;
}) {
  const [state, action, pending] = useActionState(addToCart, IDLE);
  const error = state.fieldErrors?.quantity;
  return (
    <form action={action} className="stack">
      <input type="hidden" name="csrf" value={csrf} />
      <input type="hidden" name="sku" value={sku} />
      {state.status === 'error' && state.message ? (
        <p role="alert" className="alert">
          {state.message}
        </p>
      ) : null}
      <div className="field">
        <label htmlFor="quantity">Quantity</label>
        <input
          id="quantity"
          name="quantity"
          type="number"
          inputMode="numeric"
          min={1}
          max={99}
          defaultValue={state.values?.quantity ?? '1'}
          className="qty"
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'quantity-error' : undefined}
        />
        {error ? (
          <span id="quantity-error" className="field-error">
            {error}
          </span>
        ) : null}
      </div>
      <div>
        <button type="submit" disabled={disabled || pending}>
          Add to cart
        </button>
      </div>
    </form>
  );
}
