// Runs the operator CLI (src/cli/main.ts) from its TypeScript sources as a plain Node process, as
// `npm run migration:run` etc. run the compiled one: same arguments, environment, output and exit code.
const path = require('node:path');
require('./register-ts');

process.argv = [process.argv[0], path.join(__dirname, '..', '..', 'src', 'cli', 'main.ts'), ...process.argv.slice(2)];
require(process.argv[1]);
