import { Identity1763900000000 } from '../../migrations/1763900000000-Identity';
import { Wallet1763920000000 } from '../../migrations/1763920000000-Wallet';

/**
 * Every migration, in order. Listed explicitly (rather than globbed) so the compiled app, the CLI
 * and the TypeScript test run load exactly the same set.
 */
export const MIGRATIONS = [Identity1763900000000, Wallet1763920000000];
