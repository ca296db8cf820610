/** The success envelope `{code, message, data}` of the provider's samples, for every 2xx JSON answer. */
export function success<T, C extends 200 | 201 = 200>(data: T, code: C = 200 as C) {
  return { code, message: 'success' as const, data };
}
