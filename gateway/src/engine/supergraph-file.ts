import { createHash } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { Logger } from '../../../common/logger';

/**
 * A supergraph read from a file, optionally watched. On a change the new SDL is handed to
 * `apply`; if `apply` throws (the file does not parse or is not a valid supergraph) the
 * engine keeps serving the previous supergraph and the reason is logged.
 */
export interface SupergraphFile {
  read(): string;
  watch(apply: (sdl: string) => void): void;
  stop(): void;
}

export function supergraphId(sdl: string): string {
  return createHash('sha256').update(sdl).digest('hex');
}

export function createSupergraphFile(options: {
  path: string;
  watch: boolean;
  intervalMs: number;
  logger: Logger;
  onReloadFailed?: (error: Error) => void;
}): SupergraphFile {
  const { path, logger } = options;
  let lastId: string | null = null;
  let watching = false;
  return {
    read() {
      try {
        const sdl = readFileSync(path, 'utf8');
        lastId = supergraphId(sdl);
        return sdl;
      } catch (error) {
        throw new Error(
          `Cannot read the supergraph at ${path}: ${(error as Error).message}. Run \`npm run compose\` to create it, or set SUPERGRAPH_PATH.`,
        );
      }
    },
    watch(apply) {
      if (!options.watch || watching) return;
      watching = true;
      watchFile(path, { interval: options.intervalMs, persistent: false }, () => {
        let sdl: string;
        try {
          sdl = readFileSync(path, 'utf8');
        } catch (error) {
          logger.error({ path, err: (error as Error).message }, 'supergraph file unreadable; keeping the previous supergraph');
          options.onReloadFailed?.(error as Error);
          return;
        }
        const id = supergraphId(sdl);
        if (id === lastId) return;
        try {
          apply(sdl);
          lastId = id;
          logger.info({ path, supergraphId: id }, 'supergraph reloaded');
        } catch (error) {
          logger.error(
            { path, err: (error as Error).message },
            'new supergraph rejected; keeping the previous supergraph',
          );
          options.onReloadFailed?.(error as Error);
        }
      });
    },
    stop() {
      if (watching) unwatchFile(path);
      watching = false;
    },
  };
}
