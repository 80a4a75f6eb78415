/**
 * Request bodies of the routes the chat web app needs (keys, feedback, several collections at
 * once). Like schemas.ts this imports only zod, so the SDK's published types can import it as is.
 */
import { z } from 'zod';
import { askSchema, searchSchema } from './schemas.ts';

const origins = z.array(z.string().min(1)).min(1).describe('Page origins (https://site.example) the embed key may be used from');

export const createKeySchema = z.union([
  z.strictObject({
    name: z.string().min(1).max(200),
    scopes: z
      .array(z.string().min(1))
      .min(1)
      .describe('As `cairn keys create --scope`: "docs" (read), "docs:read,write", "*:admin"'),
  }),
  z.strictObject({
    name: z.string().min(1).max(200),
    embed: z.strictObject({
      collection: z.string().min(1),
      origins,
      ratePerMinute: z.number().int().min(1).optional(),
    }),
  }),
]);

export const feedbackSchema = z.strictObject({
  rating: z.enum(['up', 'down']),
  comment: z.string().max(4000).optional(),
});

const collectionsField = z
  .array(z.string().min(1))
  .min(1)
  .max(20)
  .describe('The collections to search, fused by reciprocal rank');

export const multiSearchSchema = searchSchema.extend({ collections: collectionsField });
export const multiAskSchema = askSchema.extend({ collections: collectionsField });
