/**
 * @module server/etcd-api/auth-service
 * The etcd Auth service, declared so that clients get etcd-shaped answers: Coracle does not
 * implement etcd's users and roles (its access control is Kubernetes RBAC on the REST API).
 * AuthStatus reports auth as disabled; Authenticate answers FAILED_PRECONDITION
 * "etcdserver: authentication is not enabled", exactly as etcd does while auth is off, so
 * clients without credentials never need it; every other method answers UNIMPLEMENTED.
 */
import type { ServiceHandlers, ServiceMethods } from '../../grpc/calls.js';
import { toNothing } from './decode.js';
import { etcdError } from './errors.js';
import { type ServiceContext, responseHeader, unaryHandler } from './handler.js';
import { etcdService, serverMethod } from './proto.js';

/** The Auth service definition and its handlers, ready for `server.addService`. */
export function authService(context: ServiceContext): {
  definition: ServiceMethods; handlers: ServiceHandlers;
} {
  const definition: Record<string, ServiceMethods[string]> = {};
  const handlers: ServiceHandlers = {};
  for (const name of Object.keys(etcdService('Auth').methods)) {
    definition[name] = serverMethod('Auth', name, toNothing);
    handlers[name] = unaryHandler(context, name, () => {
      if (name === 'AuthStatus') {
        return Promise.resolve({
          header: responseHeader(context.backend, 0), enabled: false, authRevision: 0,
        });
      }
      return Promise.reject(name === 'Authenticate' ? etcdError('ETCD_ERR_AUTH_NOT_ENABLED')
        : etcdError('ETCD_ERR_UNIMPLEMENTED', { detail: `etcd auth (Auth.${name})` }));
    });
  }
  return { definition, handlers };
}
