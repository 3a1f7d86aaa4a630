import type { Logger } from '../../../common/logger';
import type { AuditConfig } from './config';
import { createFileAuditStore } from './file-store';
import type { AuditStore } from './record';
import { createRedisAuditStore } from './redis-store';

/** The store the `audit` config section selects; null for `store: none`. */
export function createAuditStore(config: AuditConfig, logger: Logger): AuditStore | null {
  switch (config.store) {
    case 'file':
      return createFileAuditStore({ path: config.file, fsync: config.fsync });
    case 'redis':
      return createRedisAuditStore({ ...config.redis, logger });
    case 'none':
      logger.warn('audit trail switched off (audit.store: none): access to personal data is not recorded');
      return null;
  }
}
