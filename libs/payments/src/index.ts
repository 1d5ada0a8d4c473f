// Payments: the provider port and its adapters (Stripe, simulated). The only way in.
export * from './payment-provider.port';
