import { Controller, Get } from '@nestjs/common';
import { buildOpenApiDocument } from './openapi.document';

@Controller('api/docs')
export class DocsController {
  private readonly document = buildOpenApiDocument();

  /** OpenAPI 3.1 JSON. */
  @Get()
  openApi(): Record<string, unknown> {
    return this.document;
  }
}
