import { ACCOUNT_ROLES } from '@tally/platform';
import { MAX_PAGE_SIZE } from '@tally/read-models';
import { z } from 'zod';
import { intParam } from '../shared.schemas';

/** `GET /api/v1/customers`: every parameter optional, unknown ones rejected. */
export const listCustomersQuery = z.strictObject({
  role: z.enum(ACCOUNT_ROLES).optional().describe('Only accounts with this role'),
  page: intParam(1, 10_000).default(1).describe('1-based'),
  pageSize: intParam(1, MAX_PAGE_SIZE).default(20),
});

export const customerSchema = z.object({
  customerId: z.uuid(),
  email: z.string(),
  name: z.string(),
  role: z.enum(ACCOUNT_ROLES),
  registeredAt: z.string(),
});

export const customerListSchema = z.object({
  items: z.array(customerSchema).describe('Newest first'),
  total: z.number().int().describe('Accounts matching the filter, over every page'),
  page: z.number().int(),
  pageSize: z.number().int(),
});

export const customerCartSchema = z.object({ cartId: z.uuid() });
