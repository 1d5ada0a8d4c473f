import { Controller, Get, Header } from '@nestjs/common';
import { Roles } from '@tally/platform';
import { HTTP_COMMAND_CONTROLLERS } from '../http-controllers';
import { cartHolderCredentials, cartOperations } from '../cart/carts.schemas';
import { productOperations } from '../catalog/products.schemas';
import { checkoutOperations } from '../checkout/checkout.schemas';
import { identityOperations } from '../identity/auth.schemas';
import { inventoryOperations } from '../inventory/inventory.schemas';
import { orderOperations } from '../ordering/orders.schemas';
import { paymentOperations } from '../payments/payments.schemas';
import { type ApiOperation, buildOpenApiDocument, withDeclaredRoles } from './openapi';

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
  HTTP_COMMAND_CONTROLLERS,
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
