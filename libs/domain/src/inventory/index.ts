// The inventory bounded context: stock on hand and reservations for orders. The only way in.
export * from './stock-item/stock-item.commands';
export * from './stock-item/stock-item.events';
export * from './stock-item/stock-item.state';
export * from './stock-item/stock-item.errors';
export * from './stock-item/stock-item.decider';
