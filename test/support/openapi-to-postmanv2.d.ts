/** The part of openapi-to-postmanv2 (the converter Portman uses) that test/spec/postman-collection.test.ts calls. */
declare module 'openapi-to-postmanv2' {
  interface ConversionResult {
    result: boolean;
    reason?: string;
    output: Array<{ type: string; data: unknown }>;
  }
  const Converter: {
    convert(
      input: { type: 'json' | 'string' | 'file'; data: unknown },
      options: Record<string, unknown>,
      callback: (error: Error | null, result: ConversionResult) => void,
    ): void;
  };
  export default Converter;
}
