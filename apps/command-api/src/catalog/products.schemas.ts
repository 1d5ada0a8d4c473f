import { MAX_PRODUCT_NAME_LENGTH } from '@tally/domain';
import { z } from 'zod';
import { moneySchema, skuSchema, text, versionSchema } from '../shared/common.schemas';
import type { ApiOperation } from '../shared/openapi';

// Request shapes of the catalog endpoints: the only place they are checked.

const attributesSchema = z
  .record(text(50), z.string().trim().max(200, 'must be at most 200 characters'))
  .refine((attributes) => Object.keys(attributes).length <= 50, 'must have at most 50 attributes')
  .meta({ description: 'Free-form attributes, e.g. `{ "color": "blue" }`' });

const imagesSchema = z
  .array(text(500))
  .max(20, 'must have at most 20 images')
  .meta({ description: 'Image references (local paths or generated names)' });

const details = {
  name: text(MAX_PRODUCT_NAME_LENGTH),
  description: text(5000),
  category: text(100),
  attributes: attributesSchema,
  images: imagesSchema,
};

export const productPath = z.strictObject({ sku: skuSchema });

export const createProductBody = z.strictObject({
  sku: skuSchema,
  name: details.name,
  description: details.description,
  price: moneySchema,
  category: details.category,
  attributes: details.attributes.default({}),
  images: details.images.default([]),
});

export const changeProductDetailsBody = z
  .strictObject({
    name: details.name.optional(),
    description: details.description.optional(),
    category: details.category.optional(),
    attributes: details.attributes.optional(),
    images: details.images.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'must change at least one field');

export const changeProductPriceBody = z.strictObject({ price: moneySchema });

export const productWritten = z.object({ sku: skuSchema, version: versionSchema });

const base = '/api/v1/products';
const tag = 'catalog';
const written = (description: string, status: 200 | 201 = 200) => ({
  status,
  description,
  schema: productWritten,
});

export const productOperations: readonly ApiOperation[] = [
  {
    method: 'post',
    path: base,
    operationId: 'createProduct',
    summary: 'Add a product to the catalog as a draft',
    tag,
    body: createProductBody,
    success: written('Created', 201),
    problems: [403, 409, 422],
  },
  {
    method: 'patch',
    path: `${base}/{sku}`,
    operationId: 'changeProductDetails',
    summary: 'Change descriptive fields; omitted fields keep their value',
    tag,
    params: productPath,
    body: changeProductDetailsBody,
    success: written('Changed (or already so)'),
    problems: [403, 404, 409, 412, 422],
  },
  {
    method: 'patch',
    path: `${base}/{sku}/price`,
    operationId: 'changeProductPrice',
    summary: 'Set a new price in the same currency',
    tag,
    params: productPath,
    body: changeProductPriceBody,
    success: written('Changed (or already so)'),
    problems: [403, 404, 409, 412, 422],
  },
  ...(
    [
      ['publish', 'publishProduct', 'Make the product visible and purchasable'],
      ['unpublish', 'unpublishProduct', 'Hide the product from shoppers'],
      ['discontinue', 'discontinueProduct', 'Retire the product for good'],
    ] as const
  ).map(([action, operationId, summary]): ApiOperation => ({
    method: 'post',
    path: `${base}/{sku}/${action}`,
    operationId,
    summary,
    tag,
    params: productPath,
    success: written('Done (or already so)'),
    problems: [403, 404, 409, 412],
  })),
];
