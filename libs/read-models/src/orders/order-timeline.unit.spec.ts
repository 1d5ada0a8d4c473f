import { formatMoney, timelineSummary } from './order-timeline';

describe('order timeline', () => {
  describe('formatMoney', () => {
    it('shows minor units as the currency writes them', () => {
      expect(formatMoney({ amount: 12345, currency: 'EUR' })).toBe('€123.45');
      expect(formatMoney({ amount: 123456, currency: 'USD' })).toBe('$1,234.56');
      expect(formatMoney({ amount: 1200, currency: 'JPY' })).toBe('¥1,200');
      // Three minor digits; Intl puts a no-break space after a code.
      expect(formatMoney({ amount: 1234, currency: 'BHD' })).toBe('BHD\u00a01.234');
    });

    it('never throws on a currency code Intl rejects', () => {
      expect(formatMoney({ amount: 990, currency: 'euro' })).toBe('9.90 euro');
    });
  });

  describe('timelineSummary', () => {
    it('names the cancellation reason in words, and keeps an unknown one as it is', () => {
      const cancelled = (reason: string) =>
        timelineSummary({
          type: 'OrderCancelled',
          data: { orderId: 'o', reason: reason as 'customer_request', detail: null },
        });
      expect(cancelled('customer_request')).toBe("Order cancelled: at the customer's request");
      expect(cancelled('fraud_suspected')).toBe('Order cancelled: fraud_suspected');
    });

    it('leaves out the carrier and tracking number when the shipment has none', () => {
      expect(
        timelineSummary({
          type: 'OrderShipped',
          data: { orderId: 'o', carrier: 'UPS', trackingNumber: null },
        }),
      ).toBe('Order shipped with UPS');
      expect(
        timelineSummary({
          type: 'OrderShipped',
          data: { orderId: 'o', carrier: null, trackingNumber: null },
        }),
      ).toBe('Order shipped');
    });
  });
});
