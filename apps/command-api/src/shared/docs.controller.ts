import { Controller, Get, Header } from '@nestjs/common';
import { Roles } from '@tally/platform';
import { cartOperations } from '../cart/carts.schemas';
import { checkoutOperations } from '../checkout/checkout.schemas';
import { productOperations } from '../catalog/products.schemas';
import { inventoryOperations } from '../inventory/inventory.schemas';
import { orderOperations } from '../ordering/orders.schemas';
import { paymentOperations } from '../payments/payments.schemas';
import { type ApiOperation, buildOpenApiDocument } from './openapi';

/** Every command endpoint, as declared next to its schemas. */
export const commandApiOperations: readonly ApiOperation[] = [
  ...productOperations,
  ...inventoryOperations,
  ...cartOperations,
  ...checkoutOperations,
  ...orderOperations,
  ...paymentOperations,
];

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
