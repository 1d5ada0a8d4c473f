// The identity bounded context: accounts, their roles and password resets. The only way in.
export * from './customer/customer.commands';
export * from './customer/customer.events';
export * from './customer/customer.state';
export * from './customer/customer.errors';
export * from './customer/customer.decider';
