/**
 * @module api/bootstrap
 * The objects every cluster starts with: the namespaces `default`, `kube-system`,
 * `kube-public` and `kube-node-lease`. Every peer tries to create the missing ones once it
 * knows a leader, retrying every second until all exist; creation is a create-if-absent
 * transaction, so peers racing each other (or a restart) never duplicate or overwrite one.
 */
import { isAPIError } from './status.js';
import type { HandlerContext } from './context.js';
import { objectKey } from './registry-index.js';
import { createObject } from './writes.js';

/** The namespaces created at bootstrap, as kube-apiserver creates them. */
export const bootstrapNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** Retry interval of the bootstrap, in ms. */
const bootstrapRetryMs = 1000;

async function missingNamespaces(context: HandlerContext): Promise<string[]> {
  const definition = context.registry.find('', 'v1', 'namespaces');
  if (definition === undefined) return [];
  const missing: string[] = [];
  for (const name of bootstrapNamespaces) {
    const stored = await context.store.get(objectKey(definition, undefined, name), 'linearizable');
    if (stored === undefined) missing.push(name);
  }
  return missing;
}

async function createMissing(context: HandlerContext): Promise<boolean> {
  const definition = context.registry.find('', 'v1', 'namespaces');
  if (definition === undefined) return true;
  const missing = await missingNamespaces(context);
  for (const name of missing) {
    try {
      await createObject(context, definition, {
        apiVersion: 'v1', kind: 'Namespace', metadata: { name },
      }, { namespace: undefined, dryRun: false });
    } catch (error) {
      if (!isAPIError(error, 'AlreadyExists')) throw error;
    }
  }
  return true;
}

/** Starts the bootstrap loop; `stop()` ends it (the server's close calls it). */
export function ensureBootstrapObjects(context: HandlerContext): { stop(): void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const attempt = (): void => {
    if (stopped) return;
    if (!context.leaderKnown()) {
      timer = setTimeout(attempt, bootstrapRetryMs);
      return;
    }
    createMissing(context).then(() => undefined, (error: unknown) => {
      context.logger.debug({ err: error }, 'bootstrap objects not created yet; retrying');
      if (!stopped) timer = setTimeout(attempt, bootstrapRetryMs);
    });
  };
  timer = setTimeout(attempt, 0);
  return {
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
