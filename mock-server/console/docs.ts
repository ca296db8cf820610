/**
 * The reference page's start script (served as /docs/assets/docs.js; no inline script, for the page's
 * Content-Security-Policy): Swagger UI from the swagger-ui-dist package, both documents as this
 * simulator serves them, no validator badge (it would call another host), the dev key filled in
 * when it is on, and the console's control token when this tab has one.
 */
import './docs.css';

interface SwaggerUi {
  preauthorizeApiKey(scheme: string, value: string): void;
}
declare const SwaggerUIBundle: ((config: Record<string, unknown>) => SwaggerUi) & {
  presets: { apis: unknown };
};
declare const SwaggerUIStandalonePreset: unknown;

const devKey = document.querySelector<HTMLMetaElement>('meta[name="dreamcore-dev-key"]')?.content;
const controlToken = sessionStorage.getItem('dreamcore-console-token');

const ui = SwaggerUIBundle({
  urls: [
    { url: '/docs/openapi.json', name: 'DreamCore API (openapi.yaml)' },
    { url: '/docs/control-api.json', name: 'Simulator control API (control-api.yaml)' },
  ],
  'urls.primaryName':
    new URLSearchParams(location.search).get('doc') === 'control'
      ? 'Simulator control API (control-api.yaml)'
      : 'DreamCore API (openapi.yaml)',
  dom_id: '#swagger-ui',
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout',
  validatorUrl: null,
  deepLinking: true,
  tryItOutEnabled: true,
  displayRequestDuration: true,
  // Each document loaded (and each switch between them): the credentials this page knows, filled in.
  onComplete: () => {
    if (devKey) ui.preauthorizeApiKey('bearerAuth', devKey);
    if (controlToken) ui.preauthorizeApiKey('controlToken', controlToken);
  },
});
