/**
 * Architecture rules for `npm run deps:check` (dependency-cruiser). See docs/ARCHITECTURE.md.
 * @type {import('dependency-cruiser').IConfiguration}
 */
const FEATURES =
  '(accounts|admin|approvals|audit|auth|auth-token|balance|bank-transfer|clients|events|health|history|metrics|notifications|outbox|privacy|purchase|reconciliation|top-up|transactions|users|webhooks)';

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'Modules depend on each other in one direction; a cycle means two of them are really one, or an interface is missing.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'doku-wire-types-stay-in-integrations',
      // The features call DOKU through the product facades of src/integrations/doku/ (*.facade.ts),
      // whose mappers (*.mapper.ts) alone build the requests and read the answers.
      severity: 'error',
      comment:
        "DOKU's wire types are the integration's business: features speak in our own types, through the product facades and mappers of src/integrations/doku/.",
      from: { path: '^src/', pathNot: '^src/integrations/' },
      to: { path: '^src/integrations/doku/(.+-wire\\.types|doku-wire-map)\\.ts$' },
    },
    {
      name: 'features-call-doku-through-facades',
      // The one exception is the B2B token service (src/auth-token/), which fetches the token the
      // client itself signs with. Types (DokuResult) may be named anywhere.
      severity: 'error',
      comment:
        'Features call DOKU through the product facades of src/integrations/doku/ (*.facade.ts), in our own types, never through DokuClient and its wire requests.',
      from: { path: '^src/', pathNot: '^src/(integrations|auth-token)/' },
      to: {
        // The non-SNAP checkout's client (checkout/checkout.client.ts) speaks our own types already: it
        // is that product's facade.
        path: '^src/integrations/doku/snap/doku\\.client\\.ts$',
        dependencyTypesNot: ['type-only', 'pre-compilation-only'],
      },
    },
    {
      name: 'snap-core-knows-no-product',
      // src/integrations/doku/snap/ is what every SNAP product shares (signature, tokens, transport,
      // response codes, exchange records, external ids); the products build on it, never the reverse.
      severity: 'error',
      comment: 'The SNAP core is shared by every DOKU product and depends on none of them.',
      from: { path: '^src/integrations/doku/snap/' },
      to: { path: '^src/integrations/doku/(wallet|dana|kki|checkout)/' },
    },
    {
      name: 'doku-products-stand-apart',
      severity: 'error',
      comment: 'One folder per DOKU product (wallet, dana, kki, checkout): a product reads the SNAP core, never another product.',
      from: { path: '^src/integrations/doku/(wallet|dana|kki|checkout)/' },
      to: { path: '^src/integrations/doku/(wallet|dana|kki|checkout)/', pathNot: '^src/integrations/doku/$1/' },
    },
    {
      name: 'features-meet-through-their-modules',
      // A feature uses another through what its Nest module provides (services, repositories and
      // registries, named *.service.ts / *.repository.ts), the shapes of its tables (entities/) and
      // of its API (dto/), never through its helpers. The shared core every feature builds on is open:
      // the money core (transactions/), the outbox and events, users, and the audit trail.
      severity: 'error',
      comment:
        "A feature reaches another only through its module's providers, entities and DTOs; helper files are that feature's own business (docs/ARCHITECTURE.md).",
      from: { path: `^src/${FEATURES}/` },
      to: {
        path: `^src/${FEATURES}/`,
        pathNot: ['^src/$1/', '\\.(module|service|repository)\\.ts$', '/(entities|dto)/', '^src/(transactions|outbox|events|users|audit)/'],
      },
    },
    {
      name: 'common-imports-no-feature',
      severity: 'error',
      comment: 'src/common/ is shared by every feature and depends on none of them.',
      from: { path: '^src/common/' },
      to: { path: `^src/${FEATURES}/` },
    },
    {
      name: 'integrations-import-no-feature',
      severity: 'error',
      comment:
        'The DOKU integration is used by the features and depends on none of them: what it needs from them (the B2B token) it names as an interface in doku.ports.ts, which a feature module provides.',
      from: { path: '^src/integrations/' },
      to: { path: `^src/${FEATURES}/` },
    },
    {
      name: 'simulator-shares-no-code-with-the-backend',
      severity: 'error',
      comment: 'The simulator stands for DOKU: it must not borrow our reading of DOKU from the backend.',
      from: { path: '^simulator/src/' },
      to: { path: '^src/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^(src|simulator/src)/',
    exclude: { path: '\\.spec\\.ts$' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
  },
};
