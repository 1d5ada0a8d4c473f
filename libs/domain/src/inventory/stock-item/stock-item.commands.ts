import type { DomainCommand } from '../../shared';

/** Goods arrived for a SKU (`quantity` > 0). `reference` is e.g. a delivery note number. */
export type ReceiveStock = DomainCommand<
  'ReceiveStock',
  { readonly sku: string; readonly quantity: number; readonly reference?: string }
>;

/** A stock count correction (`delta` ≠ 0, negative for shrinkage) with the reason for the audit trail. */
export type AdjustStock = DomainCommand<
  'AdjustStock',
  { readonly sku: string; readonly delta: number; readonly reason: string }
>;

/** Hold `quantity` units for an order until it ships or is cancelled. */
export type ReserveStock = DomainCommand<
  'ReserveStock',
  { readonly sku: string; readonly orderId: string; readonly quantity: number }
>;

/** Give an order's reserved units back to available stock (order cancelled). */
export type ReleaseStockReservation = DomainCommand<
  'ReleaseStockReservation',
  { readonly sku: string; readonly orderId: string }
>;

/** The order's reserved units left the warehouse (order shipped): they leave on-hand stock. */
export type CommitStockReservation = DomainCommand<
  'CommitStockReservation',
  { readonly sku: string; readonly orderId: string }
>;

/** Every command the stock-item decider accepts. */
export type StockItemCommand =
  ReceiveStock | AdjustStock | ReserveStock | ReleaseStockReservation | CommitStockReservation;
