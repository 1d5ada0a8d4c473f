import { randomUUID } from 'node:crypto';
import { authHeader } from '@tally/testing';
import { type InProcessCommandApi, startInProcessCommandApi } from '../../test/in-process.harness';

jest.setTimeout(120_000);

// Idempotency keys are replayed only to the caller who first used them: an account, or the holder of a
// guest cart's token. A guest with nothing to identify them is never replayed anything (command-edge.ts).

interface Opened {
  cartId: string;
  cartToken?: string;
  version: number;
}

describe('CommandEdge idempotency scopes (PostgreSQL)', () => {
  let api: InProcessCommandApi;

  beforeAll(async () => {
    api = await startInProcessCommandApi();
  });
  afterAll(async () => {
    await api.close();
  });

  const storedKeys = async (key: string) =>
    (
      await api.sql.query<{ scope: string; body: string | null }>(
        'SELECT scope, response_body::text AS body FROM command_idempotency_keys WHERE key = $1',
        [key],
      )
    ).rows;

  it("never hands a second guest reusing a key the first guest's cart token", async () => {
    const key = `guessable-${randomUUID().slice(0, 4)}`;
    const first = await api.rawRequest('POST', '/api/v1/carts', undefined, { 'idempotency-key': key });
    const second = await api.rawRequest('POST', '/api/v1/carts', undefined, { 'idempotency-key': key });

    expect([first.statusCode, second.statusCode]).toEqual([201, 201]);
    const [a, b] = [first.json<Opened>(), second.json<Opened>()];
    expect(a.cartToken).toEqual(expect.any(String));
    expect(b.cartToken).toEqual(expect.any(String));
    expect(b.cartId).not.toBe(a.cartId);
    expect(b.cartToken).not.toBe(a.cartToken);
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(String(second.headers['set-cookie'])).not.toContain(a.cartToken!);
    // Nothing of it was stored to be replayed later either.
    expect(await storedKeys(key)).toEqual([]);
  });

  it('does not let one guest block another with the same key (no 409 or 422 across guests)', async () => {
    const key = `shared-${randomUUID().slice(0, 4)}`;
    const one = await api.rawRequest('POST', '/api/v1/carts', undefined, { 'idempotency-key': key });
    const other = await api.rawRequest(
      'POST',
      '/api/v1/carts',
      { currency: 'USD' },
      { 'idempotency-key': key },
    );
    expect([one.statusCode, other.statusCode]).toEqual([201, 201]);
  });

  it("scopes a guest cart holder's keys to the cart: replayed to its holder, not to another cart's", async () => {
    const mine = (await api.rawRequest('POST', '/api/v1/carts')).json<Opened>();
    const theirs = (await api.rawRequest('POST', '/api/v1/carts')).json<Opened>();
    const key = `clear-${randomUUID()}`;
    const clear = (cart: Opened) =>
      api.rawRequest('DELETE', `/api/v1/carts/${cart.cartId}/items`, undefined, {
        'idempotency-key': key,
        'tally-cart-token': cart.cartToken!,
      });

    const first = await clear(mine);
    const retry = await clear(mine);
    expect([first.statusCode, retry.statusCode]).toEqual([200, 200]);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json()).toEqual(first.json());

    // The same key on another guest's cart is that guest's own, unrelated request.
    const other = await clear(theirs);
    expect(other.statusCode).toBe(200);
    expect(other.headers['idempotent-replayed']).toBeUndefined();
    expect(other.json()).toMatchObject({ cartId: theirs.cartId });
    expect((await storedKeys(key)).map((row) => row.scope).sort()).toEqual(
      [`cart:${mine.cartId}`, `cart:${theirs.cartId}`].sort(),
    );
  });

  it('does not store a guest cart token even when the guest holds another cart', async () => {
    const held = (await api.rawRequest('POST', '/api/v1/carts')).json<Opened>();
    const key = `open-${randomUUID()}`;
    const headers = { 'idempotency-key': key, 'tally-cart-token': held.cartToken! };
    const first = await api.rawRequest('POST', '/api/v1/carts', undefined, headers);
    const retry = await api.rawRequest('POST', '/api/v1/carts', undefined, headers);
    expect([first.statusCode, retry.statusCode]).toEqual([201, 201]);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(await storedKeys(key)).toEqual([]);
  });

  it('still replays a signed-in account its own first response', async () => {
    const customerId = randomUUID();
    const key = `mine-${randomUUID()}`;
    const open = () =>
      api.rawRequest('POST', '/api/v1/carts', undefined, {
        ...authHeader('customer', customerId),
        'idempotency-key': key,
      });
    const first = await open();
    const retry = await open();
    expect([first.statusCode, retry.statusCode]).toEqual([201, 201]);
    expect(retry.json<Opened>().cartId).toBe(first.json<Opened>().cartId);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect((await storedKeys(key)).map((row) => row.scope)).toEqual([customerId]);
  });
});
