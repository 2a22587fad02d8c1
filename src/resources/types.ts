/**
 * @module resources/types
 * The shared vocabulary of the Kubernetes API layer: JSON values, objects, the structural
 * schema of a kind, field errors, table columns, and the ResourceDefinition every kind
 * provides. `src/api` (HTTP, storage, watch, patch) depends on these types only; each kind's
 * knowledge (defaults, validation, columns, selectable fields, schema) lives in
 * `src/resources/<kind>.ts` and is registered in `src/resources/registry.ts`.
 *
 * Contract: every function of a ResourceDefinition is pure and synchronous (no clock, no IO):
 * the API layer passes the time in, and gives each function its own deep copy to mutate.
 */

/** JSONValue is any value JSON.parse can return. */
export type JSONValue = string | number | boolean | null | JSONValue[] | JSONObject;

/** JSONObject is a plain JSON object. */
export interface JSONObject {
  [key: string]: JSONValue;
}

/** OwnerReference is metav1.OwnerReference. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** ObjectMeta is metav1.ObjectMeta as stored (managedFields are not kept). */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  [key: string]: JSONValue | undefined | OwnerReference[];
}

/** KubeObject is any Kubernetes object: apiVersion, kind, metadata and the kind's fields. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/**
 * FieldError is one validation failure, as apimachinery's field.Error: `type` is the
 * CauseType ("FieldValueRequired", "FieldValueInvalid", "FieldValueNotSupported",
 * "FieldValueDuplicate", "FieldValueForbidden", "FieldValueTooLong"), `field` the JSON path
 * without a leading dot ("metadata.name", "spec.containers[0].image"), `message` the full
 * upstream-style message (e.g. `Required value`, `Invalid value: "Foo": a lowercase RFC 1123
 * subdomain must consist of ...`). The API layer turns a non-empty list into 422 Invalid.
 */
export interface FieldError {
  readonly type: string;
  readonly field: string;
  readonly message: string;
}

/**
 * SchemaNode is the structural schema of one field (k8s.io/api types, v1.32). It serves
 * three purposes: `fieldValidation=Strict` (a field absent from an object node is unknown,
 * unless the node sets `preserveUnknownFields`), strategic merge patch (list strategies and
 * merge keys, `retainKeys` objects), and server-side apply merging.
 */
export type SchemaNode =
  | ScalarSchema
  | ObjectSchema
  | MapSchema
  | ListSchema;

/** ScalarSchema is a leaf value. `int-or-string` and `quantity` accept numbers or strings. */
export interface ScalarSchema {
  readonly kind: 'scalar';
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'int-or-string' | 'quantity'
    | 'any';
}

/**
 * ObjectSchema is a struct. `fields` is a getter-friendly record so recursive types can be
 * expressed; `retainKeys` marks upstream's `patchStrategy:"retainKeys"` on the struct.
 */
export interface ObjectSchema {
  readonly kind: 'object';
  readonly fields: Readonly<Record<string, SchemaNode>>;
  readonly preserveUnknownFields?: boolean;
  readonly retainKeys?: boolean;
}

/** MapSchema is map[string]T (labels, annotations, data, resource lists). */
export interface MapSchema {
  readonly kind: 'map';
  readonly values: SchemaNode;
}

/**
 * ListSchema is []T. `patchStrategy: 'merge'` with `mergeKey` merges element by element
 * on that key (a list of primitives with 'merge' and no key merges as a set, e.g.
 * finalizers); otherwise a patch replaces the list whole.
 */
export interface ListSchema {
  readonly kind: 'list';
  readonly items: SchemaNode;
  readonly patchStrategy?: 'merge' | 'replace';
  readonly mergeKey?: string;
  readonly retainKeys?: boolean;
}

/** TableColumn is a meta.k8s.io/v1 TableColumnDefinition. */
export interface TableColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  readonly format: string;
  readonly description: string;
  /** 0: shown by default; 1: shown only with `-o wide`. */
  readonly priority: number;
}

/** TableCell is one JSON scalar of a Table row. */
export type TableCell = string | number | boolean | null;

/** SubresourceName names the subresources a kind may serve. */
export type SubresourceName = 'status' | 'scale' | 'binding' | 'eviction' | 'log';

/** SubresourceDefinition describes one subresource for discovery. */
export interface SubresourceDefinition {
  readonly name: SubresourceName;
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly verbs: readonly string[];
}

/** DefaultsContext is what defaulting may depend on besides the object itself. */
export interface DefaultsContext {
  /** The time of the request, for timestamps a default needs. */
  readonly now: Date;
}

/** ResourceDefinition is everything the API layer needs to know about one kind. */
export interface ResourceDefinition {
  /** API group, '' for core. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** Plural resource name used in paths, e.g. "deployments". */
  readonly resource: string;
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  readonly verbs: readonly string[];
  readonly subresources: readonly SubresourceDefinition[];
  /**
   * True when the kind has a spec whose changes bump `metadata.generation` (Deployment,
   * ReplicaSet, ReplicationController, Pod, Service, Namespace, HPA...); kinds without
   * spec/status split (ConfigMap, Secret, Event, Endpoints, ServiceAccount) keep no
   * generation. NB: the API layer sets generation 1 on create and bumps it when any
   * top-level field other than metadata and status changes.
   */
  readonly hasGeneration: boolean;
  /**
   * True when `status` is a separate subresource: updates of the main resource keep the
   * stored status, and `/status` updates keep everything but status (and metadata labels/
   * annotations are kept from the main object, as upstream).
   */
  readonly hasStatus: boolean;
  /** Structural schema of the whole object (apiVersion, kind, metadata included). */
  readonly schema: ObjectSchema;
  /** Applies Kubernetes' defaults in place (create and update; idempotent). */
  applyDefaults(object: KubeObject, context: DefaultsContext): void;
  /**
   * Validates the object (metadata included) after defaults; `old` is the stored object on
   * update (for immutable fields, e.g. a selector, a Service's clusterIP, a Secret's
   * immutable data). Returns [] when valid.
   */
  validate(object: KubeObject, old: KubeObject | undefined): FieldError[];
  /** The Table columns, upstream's names, order and priorities. */
  readonly columns: readonly TableColumn[];
  /** One row of cells in `columns` order; ages are computed against `now`. */
  tableCells(object: KubeObject, now: Date): TableCell[];
  /**
   * The selectable fields for field selectors and their string values: always
   * `metadata.name` and `metadata.namespace`, plus the kind's own (pods: `spec.nodeName`,
   * `status.phase`, ...; events: `involvedObject.*`, `reason`, `type`, ...).
   */
  fieldLabels(object: KubeObject): Record<string, string>;
  /**
   * For a kind also served in an older version (autoscaling/v1 HorizontalPodAutoscaler):
   * the definition of the version objects are STORED in, and the conversions. The API
   * layer stores and validates in the storage version and converts at the boundary.
   */
  readonly storageVersion?: StorageVersion;
}

/** StorageVersion says how a served version maps onto the stored one. */
export interface StorageVersion {
  readonly definition: ResourceDefinition;
  /** Converts a served object to the stored version; `current` is the stored object on update. */
  toStorage(object: KubeObject, current: KubeObject | undefined): KubeObject;
  /** Converts a stored object to the served version. */
  fromStorage(object: KubeObject): KubeObject;
}
