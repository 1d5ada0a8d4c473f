import { listingParams, searchPath } from './catalog';

describe('listing URLs', () => {
  it('keeps every valid parameter and drops malformed ones', () => {
    expect(
      listingParams({ q: ' sneker ', minPrice: '1000', maxPrice: 'x', sort: 'price_asc', page: '2' }),
    ).toEqual({
      q: 'sneker',
      minPrice: 1000,
      sort: 'price_asc',
      page: 2,
    });
    expect(listingParams({ sort: 'drop table', page: '-1' })).toEqual({ page: 1 });
  });

  it('builds the query-api search path', () => {
    expect(searchPath({ q: 'blu shirt', category: 'Shirts', sort: 'relevance', page: 1 }, 12)).toBe(
      '/api/v1/products?q=blu+shirt&category=Shirts&sort=relevance&page=1&pageSize=12',
    );
    // Relevance without words means nothing to rank by: the API's default order.
    expect(searchPath({ sort: 'relevance', page: 3 }, 12)).toBe('/api/v1/products?page=3&pageSize=12');
  });
});
