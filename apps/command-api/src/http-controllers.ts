import { CartsController } from './cart/carts.controller';
import { ProductsController } from './catalog/products.controller';
import { CheckoutController } from './checkout/checkout.controller';
import { AuthController } from './identity/auth.controller';
import { CustomersController } from './identity/customers.controller';
import { InventoryController } from './inventory/inventory.controller';
import { OrdersController } from './ordering/orders.controller';
import { PaymentsController } from './payments/payments.controller';

/**
 * command-api's HTTP API: what the module mounts and what the OpenAPI document describes, whose `@Roles`
 * become each operation's `security` (one list, so a new controller cannot be served undocumented).
 */
export const HTTP_COMMAND_CONTROLLERS = [
  ProductsController,
  InventoryController,
  CartsController,
  CheckoutController,
  OrdersController,
  PaymentsController,
  AuthController,
  CustomersController,
];
