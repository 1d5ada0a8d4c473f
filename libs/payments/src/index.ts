// Payments: the provider port and its adapters (Stripe, simulated). The only way in.
export * from './payment-provider.port';
export * from './payments-logger';
export * from './payments.migrations';
export * from './webhooks/webhook-signature';
export * from './simulated/simulated-cards';
export * from './simulated/simulated-payment-provider';
export * from './stripe/stripe-payment-provider';
export * from './create-payment-provider';
