/** An error as log fields: name, message, code and the chain of causes — what JSON.stringify drops. */
type Fields = Record<string, unknown>;

export function errorFields(error: Error): Fields {
  const code = (error as { code?: unknown }).code;
  return {
    name: error.name,
    message: error.message,
    ...(code === undefined ? {} : { code }),
    ...(error.cause === undefined
      ? {}
      : { cause: error.cause instanceof Error ? errorFields(error.cause) : error.cause }),
  };
}
