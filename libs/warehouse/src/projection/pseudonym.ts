import { createHmac } from 'node:crypto';

/**
 * The warehouse's key for a customer: the first 32 hex digits of HMAC-SHA256(customerId, key). Stable, so
 * analysts can follow a customer across facts, but without the key it leads back to no account, and no
 * email, name or address ever enters the warehouse.
 */
export function pseudonymizeCustomer(customerId: string, key: string): string {
  return createHmac('sha256', key).update(customerId).digest('hex').slice(0, 32);
}

// Enough for the customers of a large batch; beyond it the cache starts again rather than growing.
const MAX_CACHED = 100_000;

/** {@link pseudonymizeCustomer} with a fixed key, remembering recent answers (a rebuild asks millions of times). */
export function pseudonymizer(key: string): (customerId: string | null | undefined) => string | null {
  const cache = new Map<string, string>();
  return (customerId) => {
    if (typeof customerId !== 'string' || customerId === '') return null;
    let pseudonym = cache.get(customerId);
    if (pseudonym === undefined) {
      if (cache.size >= MAX_CACHED) cache.clear();
      pseudonym = pseudonymizeCustomer(customerId, key);
      cache.set(customerId, pseudonym);
    }
    return pseudonym;
  };
}
