import type { CommandMetadata } from '../../shared';
import { deciderSpec } from '../../testing/decider-spec';
import type { ProductCommand, ProductDetails } from './product.commands';
import { productDecider, isProductPurchasable } from './product.decider';
import {
  InvalidProductDetails,
  InvalidProductPrice,
  ProductAlreadyExists,
  ProductIsDiscontinued,
  ProductNotFound,
  ProductPriceCurrencyMismatch,
} from './product.errors';
import type { ProductCreated, ProductEvent } from './product.events';
import type { ProductState } from './product.state';

const metadata: CommandMetadata = {
  commandId: 'cmd-1',
  correlationId: 'corr-1',
  causationId: 'cause-1',
  actor: { id: 'admin-1', role: 'admin' },
  occurredAt: '2025-01-01T10:00:00.000Z',
};

const command = <T extends ProductCommand['type']>(
  type: T,
  data: Extract<ProductCommand, { type: T }>['data'],
) => ({ type, data, metadata }) as Extract<ProductCommand, { type: T }>;

const sku = 'TSHIRT-BLUE-M';
const price = { amount: 1999, currency: 'EUR' };
const details: ProductDetails = {
  name: 'Blue T-shirt',
  description: 'Organic cotton',
  category: 'apparel',
  attributes: { color: 'blue', size: 'M' },
  images: ['tshirt-blue.svg'],
};

const created: ProductCreated = { type: 'ProductCreated', data: { sku, price, ...details } };
const published: ProductEvent = { type: 'ProductPublished', data: { sku } };
const unpublished: ProductEvent = { type: 'ProductUnpublished', data: { sku } };
const discontinued: ProductEvent = { type: 'ProductDiscontinued', data: { sku } };

const create = (overrides: Partial<ProductCreated['data']> = {}) =>
  command('CreateProduct', { sku, price, ...details, ...overrides });
const changePrice = (amount: number, currency = 'EUR') =>
  command('ChangeProductPrice', { sku, price: { amount, currency } });
const changeDetails = (changes: Partial<ProductDetails>) =>
  command('ChangeProductDetails', { sku, ...changes });
const publish = command('PublishProduct', { sku });
const unpublish = command('UnpublishProduct', { sku });
const discontinue = command('DiscontinueProduct', { sku });

const spec = deciderSpec(productDecider);

describe('Product', () => {
  describe('when it does not exist', () => {
    const given = spec.given([]);

    it('creates it as a draft', () => {
      given.when(create()).then([created]);
    });

    it('records only the known fields of the command', () => {
      const withExtra = create({ secret: 'x' } as Partial<ProductCreated['data']>);
      given.when(withExtra).then([created]);
    });

    it('accepts the highest allowed price', () => {
      given
        .when(create({ price: { amount: 100_000_000_00, currency: 'USD' } }))
        .then([
          { ...created, data: { ...created.data, price: { amount: 100_000_000_00, currency: 'USD' } } },
        ]);
    });

    it.each([
      ['zero', 0],
      ['negative', -1],
      ['fractional', 19.99],
      ['above the maximum', 100_000_000_01],
      ['not a number', Number.NaN],
      ['infinite', Number.POSITIVE_INFINITY],
    ])('rejects a %s price amount', (_, amount) => {
      given
        .when(create({ price: { amount, currency: 'EUR' } }))
        .thenThrows(InvalidProductPrice, 'price.amount');
    });

    it.each(['eur', 'EU', 'EURO', '', 'E1R'])('rejects the currency "%s"', (currency) => {
      given
        .when(create({ price: { amount: 100, currency } }))
        .thenThrows(InvalidProductPrice, 'price.currency');
    });

    it.each(['', '   '])('rejects the empty name "%s"', (name) => {
      given.when(create({ name })).thenThrows(InvalidProductDetails, 'name');
    });

    it('accepts a name of 200 characters and rejects one of 201', () => {
      const name = 'n'.repeat(200);
      given.when(create({ name })).then([{ ...created, data: { ...created.data, name } }]);
      given.when(create({ name: `${name}n` })).thenThrows(InvalidProductDetails, 'name');
    });

    it.each(['', ' '])('rejects the empty category "%s"', (category) => {
      given.when(create({ category })).thenThrows(InvalidProductDetails, 'category');
    });

    it.each([
      ['ChangeProductPrice', changePrice(2999)],
      ['ChangeProductDetails', changeDetails({ name: 'Red' })],
      ['PublishProduct', publish],
      ['UnpublishProduct', unpublish],
      ['DiscontinueProduct', discontinue],
    ])('rejects %s', (_, cmd) => {
      given.when(cmd).thenThrows(ProductNotFound);
    });
  });

  describe('when draft', () => {
    const given = spec.given([created]);

    it('rejects a second creation', () => {
      given.when(create()).thenThrows(ProductAlreadyExists);
    });

    it('changes the price and records the previous one', () => {
      given.when(changePrice(2499)).then([
        {
          type: 'ProductPriceChanged',
          data: { sku, price: { amount: 2499, currency: 'EUR' }, previousPrice: price },
        },
      ]);
    });

    it('ignores the same price', () => {
      given.when(changePrice(1999)).thenNothingHappens();
    });

    it('rejects a price in another currency', () => {
      given.when(changePrice(1999, 'USD')).thenThrows(ProductPriceCurrencyMismatch, 'price.currency');
    });

    it('rejects an invalid new price amount', () => {
      given.when(changePrice(0)).thenThrows(InvalidProductPrice, 'price.amount');
    });

    it('rejects a malformed new price currency before comparing currencies', () => {
      given.when(changePrice(1999, 'usd')).thenThrows(InvalidProductPrice, 'price.currency');
    });

    it('records only the details that differ', () => {
      given
        .when(
          changeDetails({
            name: 'Blue T-shirt',
            description: 'Organic cotton, slim fit',
            attributes: { size: 'M', color: 'blue' },
            images: ['tshirt-blue.svg', 'tshirt-blue-back.svg'],
          }),
        )
        .then([
          {
            type: 'ProductDetailsChanged',
            data: {
              sku,
              description: 'Organic cotton, slim fit',
              images: ['tshirt-blue.svg', 'tshirt-blue-back.svg'],
            },
          },
        ]);
    });

    it('records a changed name, category and attributes', () => {
      given
        .when(changeDetails({ name: 'Navy T-shirt', category: 'tops', attributes: { color: 'navy' } }))
        .then([
          {
            type: 'ProductDetailsChanged',
            data: { sku, name: 'Navy T-shirt', category: 'tops', attributes: { color: 'navy' } },
          },
        ]);
    });

    it('sees an attribute with the same count but another key as a change', () => {
      given
        .when(changeDetails({ attributes: { color: 'blue', fit: 'M' } }))
        .then([{ type: 'ProductDetailsChanged', data: { sku, attributes: { color: 'blue', fit: 'M' } } }]);
    });

    it('sees reordered images as a change', () => {
      given
        .when(changeDetails({ images: ['b.svg'] }))
        .then([{ type: 'ProductDetailsChanged', data: { sku, images: ['b.svg'] } }]);
    });

    it('ignores details that are all equal', () => {
      given.when(changeDetails({ ...details, attributes: { ...details.attributes } })).thenNothingHappens();
    });

    it('ignores a details change with no field', () => {
      given.when(changeDetails({})).thenNothingHappens();
    });

    it('rejects an empty name', () => {
      given.when(changeDetails({ name: ' ' })).thenThrows(InvalidProductDetails, 'name');
    });

    it('rejects a name over 200 characters', () => {
      given.when(changeDetails({ name: 'n'.repeat(201) })).thenThrows(InvalidProductDetails, 'name');
    });

    it('rejects an empty category', () => {
      given.when(changeDetails({ category: '' })).thenThrows(InvalidProductDetails, 'category');
    });

    it('publishes it', () => {
      given.when(publish).then([published]);
    });

    it('ignores unpublishing', () => {
      given.when(unpublish).thenNothingHappens();
    });

    it('discontinues it', () => {
      given.when(discontinue).then([discontinued]);
    });
  });

  describe('when published', () => {
    const given = spec.given([created, published]);

    it('ignores publishing again', () => {
      given.when(publish).thenNothingHappens();
    });

    it('unpublishes it', () => {
      given.when(unpublish).then([unpublished]);
    });

    it('discontinues it', () => {
      given.when(discontinue).then([discontinued]);
    });

    it('still changes price and details', () => {
      given.when(changePrice(999)).then([
        {
          type: 'ProductPriceChanged',
          data: { sku, price: { amount: 999, currency: 'EUR' }, previousPrice: price },
        },
      ]);
      given
        .when(changeDetails({ name: 'Shirt' }))
        .then([{ type: 'ProductDetailsChanged', data: { sku, name: 'Shirt' } }]);
    });
  });

  describe('when unpublished', () => {
    const given = spec.given([created, published, unpublished]);

    it('publishes it again', () => {
      given.when(publish).then([published]);
    });

    it('ignores unpublishing again', () => {
      given.when(unpublish).thenNothingHappens();
    });

    it('discontinues it', () => {
      given.when(discontinue).then([discontinued]);
    });
  });

  describe('when discontinued', () => {
    const given = spec.given([created, published, discontinued]);

    it('ignores a repeated discontinuation', () => {
      given.when(discontinue).thenNothingHappens();
    });

    it('rejects a second creation', () => {
      given.when(create()).thenThrows(ProductAlreadyExists);
    });

    it.each([
      ['ChangeProductPrice', changePrice(2999)],
      ['ChangeProductPrice with the same price', changePrice(1999)],
      ['ChangeProductDetails', changeDetails({ name: 'Red' })],
      ['PublishProduct', publish],
      ['UnpublishProduct', unpublish],
    ])('rejects %s', (_, cmd) => {
      given.when(cmd).thenThrows(ProductIsDiscontinued);
    });

    it('rejects a change even when its fields are invalid: the product is closed', () => {
      given.when(changePrice(0)).thenThrows(ProductIsDiscontinued);
    });

    it('is terminal', () => {
      expect(productDecider.isTerminal(fold([created, discontinued]))).toBe(true);
      expect(productDecider.isTerminal(fold([created]))).toBe(false);
    });
  });

  describe('evolve', () => {
    const draft: ProductState = { status: 'draft', sku, price, details };

    it('starts with no product', () => {
      spec.given([]).thenState({ status: 'none' });
    });

    it('folds ProductCreated into a draft', () => {
      spec.given([created]).thenState(draft);
    });

    it('folds ProductPriceChanged into the new price', () => {
      spec
        .given([
          created,
          {
            type: 'ProductPriceChanged',
            data: { sku, price: { amount: 5, currency: 'EUR' }, previousPrice: price },
          },
        ])
        .thenState({ ...draft, price: { amount: 5, currency: 'EUR' } });
    });

    it('folds ProductDetailsChanged, keeping the fields it does not carry', () => {
      spec
        .given([created, { type: 'ProductDetailsChanged', data: { sku, name: 'Red', images: [] } }])
        .thenState({ ...draft, details: { ...details, name: 'Red', images: [] } });
      spec
        .given([
          created,
          {
            type: 'ProductDetailsChanged',
            data: { sku, description: 'd', category: 'c', attributes: {} },
          },
        ])
        .thenState({ ...draft, details: { ...details, description: 'd', category: 'c', attributes: {} } });
    });

    it('folds ProductPublished, ProductUnpublished and ProductDiscontinued into their status', () => {
      spec.given([created, published]).thenState({ ...draft, status: 'published' });
      spec.given([created, published, unpublished]).thenState({ ...draft, status: 'unpublished' });
      spec.given([created, discontinued]).thenState({ ...draft, status: 'discontinued' });
    });

    it('never throws, even on a history without ProductCreated', () => {
      spec.given([published, discontinued]).thenState({ status: 'none' });
    });

    it('ignores an event type it does not know', () => {
      const unknown = { type: 'ProductTeleported', data: { sku } } as unknown as ProductEvent;
      spec.given([created, unknown]).thenState(draft);
    });
  });

  describe('isProductPurchasable', () => {
    it('is true only for a published product', () => {
      expect(isProductPurchasable(fold([]))).toBe(false);
      expect(isProductPurchasable(fold([created]))).toBe(false);
      expect(isProductPurchasable(fold([created, published]))).toBe(true);
      expect(isProductPurchasable(fold([created, published, unpublished]))).toBe(false);
      expect(isProductPurchasable(fold([created, published, discontinued]))).toBe(false);
    });
  });
});

function fold(events: ProductEvent[]): ProductState {
  return events.reduce(productDecider.evolve, productDecider.initialState);
}
