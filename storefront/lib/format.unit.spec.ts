import { categorySlug, formatMoney, orderStatusText, stockText } from './format';

describe('formatMoney', () => {
  it('formats minor units in the currency', () => {
    expect(formatMoney({ amount: 1250, currency: 'EUR' })).toBe('€12.50');
    expect(formatMoney({ amount: 500, currency: 'JPY' })).toBe('JP¥500');
  });
});

describe('stockText', () => {
  it('says in stock, only N left, or out of stock', () => {
    expect(stockText(20)).toBe('In stock');
    expect(stockText(3)).toBe('Only 3 left');
    expect(stockText(0)).toBe('Out of stock');
  });
});

describe('orderStatusText', () => {
  it("uses the UI contract's words", () => {
    expect(orderStatusText('pending', 'none')).toBe('Placed');
    expect(orderStatusText('pending', 'initiated')).toBe('Awaiting payment');
    expect(orderStatusText('confirmed', 'captured')).toBe('Confirmed');
    expect(orderStatusText('shipped', 'captured')).toBe('Shipped');
    expect(orderStatusText('delivered', 'captured')).toBe('Delivered');
    expect(orderStatusText('cancelled', 'declined')).toBe('Cancelled');
    expect(orderStatusText('cancelled', 'refunded')).toBe('Refunded');
  });
});

describe('categorySlug', () => {
  it('lowercases and joins words with dashes', () => {
    expect(categorySlug('Running Shoes')).toBe('running-shoes');
    expect(categorySlug('  T-Shirts & Tops ')).toBe('t-shirts-tops');
  });
});
