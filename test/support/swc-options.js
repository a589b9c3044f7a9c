// How the tests compile TypeScript with SWC, shared by jest.config.js and register-ts.js. Decorator
// metadata must be on: without it Nest injects `undefined` for typed constructor parameters and the
// ValidationPipe silently stops validating.
module.exports = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
};
