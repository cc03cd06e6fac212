/**
 * The config file's one schema, strict at every level: a key Sluice does not know is an error
 * that names it and the nearest key it does know (`"upstreamz": []` once started Sluice on the
 * demo model without a word). Values keep the forms the environment takes (`"15s"` or 15000,
 * `"32mb"`), so they are checked by the same parsers as the environment's (`load.ts`); this
 * schema checks the file's shape and types. It is built, and zod loaded, only when a file is
 * read: a CLI command run without one starts a tenth of a second sooner.
 */
import { createRequire } from 'node:module';
import type * as Zod from 'zod';

type Z = typeof Zod.z;

function buildSchema(z: Z) {
  const duration = z.union([z.string(), z.number()]);
  const size = z.union([z.string(), z.number()]);
  // Counts are kept as 64-bit integers and read back as numbers: exact up to 2^53 − 1.
  const count = z.number().int().positive().max(Number.MAX_SAFE_INTEGER).nullable();

  const limits = z
    .strictObject({
      rpm: count,
      tpm: count,
      maxStreams: count,
      budgetTokens: count,
      budgetCost: z.number().positive().nullable(),
      budgetPeriod: z.enum(['day', 'month', 'total']),
    })
    .partial();

  const upstream = z
    .strictObject({
      name: z.string().min(1),
      family: z.enum(['openai', 'anthropic', 'azure']),
      baseUrl: z.string(),
      apiKey: z.string().min(1),
      apiKeyEnv: z.string().min(1),
      apiKeys: z.array(z.string().min(1)),
      apiKeyEnvs: z.array(z.string().min(1)),
      googleCredentials: z.string().min(1),
      aws: z
        .strictObject({
          region: z.string().min(1),
          accessKeyIdEnv: z.string().min(1),
          secretAccessKeyEnv: z.string().min(1),
          sessionTokenEnv: z.string().min(1),
        })
        .partial(),
      models: z.array(z.string().min(1)),
      headers: z.record(z.string(), z.string()),
      priority: z.number().int(),
      weight: z.number().positive(),
      proxy: z.string().min(1),
      aliases: z.record(z.string().min(1), z.string().min(1)),
      deployments: z.record(z.string().min(1), z.string().min(1)),
      apiVersion: z.string().min(1),
      responses: z.boolean(),
      endUsers: z.boolean(),
    })
    .partial()
    .required({ baseUrl: true });

  return z
    .strictObject({
      host: z.string(),
      port: z.union([z.number(), z.string()]),
      workers: z.union([z.number(), z.string()]),
      adminKey: z.string(),
      logLevel: z.string(),
      dataDir: z.string(),
      redisPrefix: z.string(),
      trustedProxies: z.union([z.string(), z.array(z.string())]),
      corsOrigins: z.union([z.string(), z.array(z.string())]),
      keepalive: duration,
      drain: duration,
      bodyTimeout: duration,
      maxBody: size,
      maxBodyInflight: size,
      timeouts: z
        .strictObject({ connect: duration, firstByte: duration, idle: duration, total: duration })
        .partial(),
      upstreams: z.array(upstream),
      prices: z.record(
        z.string(),
        z.strictObject({
          input: z.number().nonnegative(),
          output: z.number().nonnegative(),
          cachedInput: z.number().nonnegative().optional(),
          audioInput: z.number().nonnegative().optional(),
          audioOutput: z.number().nonnegative().optional(),
          audioMinute: z.number().nonnegative().optional(),
          characters: z.number().nonnegative().optional(),
          imageInput: z.number().nonnegative().optional(),
          searches: z.number().nonnegative().optional(),
          perImage: z
            .union([z.number().nonnegative(), z.record(z.string(), z.number().nonnegative())])
            .optional(),
          priority: z
            .strictObject({
              input: z.number().nonnegative(),
              output: z.number().nonnegative(),
              cachedInput: z.number().nonnegative().optional(),
            })
            .optional(),
          longContext: z
            .strictObject({
              above: z.number().int().positive(),
              input: z.number().nonnegative(),
              output: z.number().nonnegative(),
              cachedInput: z.number().nonnegative().optional(),
            })
            .optional(),
        }),
      ),
      defaultLimits: z.strictObject({ key: limits, user: limits }).partial(),
      breaker: z
        .strictObject({ failures: z.number().int().min(1).max(5), cooldown: duration })
        .partial(),
      logFormat: z.enum(['pretty', 'json']),
      metrics: z
        .strictObject({
          token: z.string(),
          listen: z.string(),
          labels: z.array(z.enum(['key', 'user'])),
        })
        .partial(),
    })
    .partial();
}

export type ConfigFile = Zod.z.infer<ReturnType<typeof buildSchema>>;

let built: { z: Z; schema: ReturnType<typeof buildSchema> } | undefined;

function zod(): { z: Z; schema: ReturnType<typeof buildSchema> } {
  if (built === undefined) {
    const { z } = createRequire(import.meta.url)('zod') as typeof Zod;
    built = { z, schema: buildSchema(z) };
  }
  return built;
}

/** The file's problems in words that say what to change; none when its shape is right. */
export function fileProblems(file: unknown, path: string): string[] {
  const result = zod().schema.safeParse(file);
  if (result.success) return [];
  return result.error.issues.map((issue) => {
    const where = issue.path.length === 0 ? path : `${dotted(issue.path)} in ${path}`;
    if (issue.code === 'unrecognized_keys') {
      const known = keysAt(issue.path);
      return issue.keys
        .map((key) => {
          const near = nearest(key, known);
          return `${where}: unknown key "${key}"${near === undefined ? '' : `; did you mean "${near}"?`} It takes ${known.join(', ')}.`;
        })
        .join('\n');
    }
    return `${where}: ${issue.message.replace(/^Invalid input: /, '')}.`;
  });
}

/** `upstreams[0].proxy` */
function dotted(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) =>
      typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`,
    )
    .join('');
}

/** The keys an object of the schema takes at `path`. */
function keysAt(path: readonly PropertyKey[]): string[] {
  const { z, schema } = zod();
  let node: Zod.z.ZodType = schema;
  for (const part of path) {
    node = unwrap(z, node);
    if (node instanceof z.ZodArray) node = node.element as Zod.z.ZodType;
    else if (node instanceof z.ZodRecord) node = node.valueType as Zod.z.ZodType;
    else if (node instanceof z.ZodObject)
      node = (node.shape as Record<string, Zod.z.ZodType>)[String(part)] ?? node;
  }
  node = unwrap(z, node);
  return node instanceof z.ZodObject ? Object.keys(node.shape) : [];
}

function unwrap(z: Z, node: Zod.z.ZodType): Zod.z.ZodType {
  let current = node;
  while (current instanceof z.ZodOptional || current instanceof z.ZodNullable)
    current = current.unwrap() as Zod.z.ZodType;
  return current;
}

/** The known key a typo most likely meant: within a third of its length in edits. */
export function nearest(key: string, known: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (best === undefined || distance < best.distance) best = { key: candidate, distance };
  }
  return best !== undefined && best.distance <= Math.max(2, Math.floor(key.length / 3))
    ? best.key
    : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
