import { AuthSession } from '../auth/entities/auth-session.entity';
import { RefreshToken } from '../auth/entities/refresh-token.entity';
import { ServiceClient } from '../clients/entities/service-client.entity';
import { User } from '../users/entities/user.entity';

/** Every entity of the application; the data source, the CLI and the tests use this list. */
export const ENTITIES = [User, AuthSession, RefreshToken, ServiceClient];
