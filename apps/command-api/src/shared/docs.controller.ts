import { Controller, Get, Header } from '@nestjs/common';
import { Roles } from '@tally/platform';
import { CartsController } from '../cart/carts.controller';
import { cartHolderCredentials, cartOperations } from '../cart/carts.schemas';
import { ProductsController } from '../catalog/products.controller';
import { productOperations } from '../catalog/products.schemas';
import { CheckoutController } from '../checkout/checkout.controller';
import { checkoutOperations } from '../checkout/checkout.schemas';
import { AuthController } from '../identity/auth.controller';
import { identityOperations } from '../identity/auth.schemas';
import { CustomersController } from '../identity/customers.controller';
import { InventoryController } from '../inventory/inventory.controller';
import { inventoryOperations } from '../inventory/inventory.schemas';
import { OrdersController } from '../ordering/orders.controller';
import { orderOperations } from '../ordering/orders.schemas';
import { PaymentsController } from '../payments/payments.controller';
import { paymentOperations } from '../payments/payments.schemas';
import { type ApiOperation, buildOpenApiDocument, withDeclaredRoles } from './openapi';

/** The controllers whose `@Roles` become each operation's `security`. */
const controllers = [
  ProductsController,
  InventoryController,
  CartsController,
  CheckoutController,
  OrdersController,
  PaymentsController,
  AuthController,
  CustomersController,
];

/** Operations declared outside cart/ that also take a cart holder's token: checkout and cancelling an order. */
const CART_HOLDER_OPERATIONS = new Set(['checkOutCart', 'cancelOrder']);

/** Every command endpoint, as declared next to its schemas, with the roles its route declares. */
export const commandApiOperations: readonly ApiOperation[] = withDeclaredRoles(
  [
    ...identityOperations,
    ...productOperations,
    ...inventoryOperations,
    ...cartOperations,
    ...checkoutOperations,
    ...orderOperations,
    ...paymentOperations,
  ].map((operation) =>
    CART_HOLDER_OPERATIONS.has(operation.operationId)
      ? { ...operation, credentials: cartHolderCredentials }
      : operation,
  ),
  controllers,
);

/** The OpenAPI 3.1 document, generated from the request schemas that validate each endpoint. */
@Controller('api/docs')
@Roles('guest')
export class DocsController {
  private readonly document = buildOpenApiDocument(commandApiOperations);

  @Get()
  @Header('cache-control', 'no-cache')
  openApi(): Record<string, unknown> {
    return this.document;
  }

  @Get('openapi.json')
  @Header('cache-control', 'no-cache')
  openApiJson(): Record<string, unknown> {
    return this.document;
  }
}
