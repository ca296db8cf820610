/**
 * `X-Content-Type-Options: nosniff` on every answer: no browser may read a JSON error (which can echo
 * what a caller sent) or an image as HTML or script. Set when a request's context is created
 * (after-answer.ts), and on the answers the server gives before the app sees a request (server.ts).
 */
export const NO_SNIFF = { name: 'X-Content-Type-Options', value: 'nosniff' } as const;
