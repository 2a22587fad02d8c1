/**
 * @module resources/schema/volume
 * Schema of core/v1 Volume with every VolumeSource of k8s.io/api v1.32 written out, nested
 * structs included (KeyToPath, projections, the generic ephemeral PVC template). PodSpec
 * merges `volumes` on `name` with `retainKeys` (a patch that switches a volume from
 * `emptyDir` to `hostPath` drops the old source).
 */
import {
  atomicList,
  bool,
  int,
  int64,
  map,
  obj,
  quantity,
  resourceList,
  str,
  stringList,
  stringMap,
} from './builders.js';
import { objectFieldSelectorSchema, resourceFieldSelectorSchema } from './container.js';
import { labelSelectorSchema, objectMetaSchema } from './meta.js';

/** localObjectReferenceSchema is v1.LocalObjectReference ({name}). */
export const localObjectReferenceSchema = obj('v1.LocalObjectReference', { name: str() });

/** keyToPathSchema is v1.KeyToPath (a projected key of a ConfigMap or Secret). */
export const keyToPathSchema = obj('v1.KeyToPath', { key: str(), path: str(), mode: int() });

/** downwardAPIVolumeFileSchema is v1.DownwardAPIVolumeFile. */
const downwardAPIVolumeFileSchema = obj('v1.DownwardAPIVolumeFile', {
  path: str(),
  fieldRef: objectFieldSelectorSchema,
  resourceFieldRef: resourceFieldSelectorSchema,
  mode: int(),
});

/** volumeProjectionSchema is v1.VolumeProjection (one source of a projected volume). */
const volumeProjectionSchema = obj('v1.VolumeProjection', {
  secret: obj('v1.SecretProjection', {
    name: str(),
    items: atomicList(keyToPathSchema),
    optional: bool(),
  }),
  downwardAPI: obj('v1.DownwardAPIProjection', {
    items: atomicList(downwardAPIVolumeFileSchema),
  }),
  configMap: obj('v1.ConfigMapProjection', {
    name: str(),
    items: atomicList(keyToPathSchema),
    optional: bool(),
  }),
  serviceAccountToken: obj('v1.ServiceAccountTokenProjection', {
    audience: str(),
    expirationSeconds: int64(),
    path: str(),
  }),
  clusterTrustBundle: obj('v1.ClusterTrustBundleProjection', {
    name: str(),
    signerName: str(),
    labelSelector: labelSelectorSchema,
    optional: bool(),
    path: str(),
  }),
});

/** persistentVolumeClaimSpecSchema is v1.PersistentVolumeClaimSpec. */
export const persistentVolumeClaimSpecSchema = obj('v1.PersistentVolumeClaimSpec', {
  accessModes: stringList(),
  selector: labelSelectorSchema,
  resources: obj('v1.VolumeResourceRequirements', {
    limits: resourceList(),
    requests: resourceList(),
  }),
  volumeName: str(),
  storageClassName: str(),
  volumeMode: str(),
  dataSource: obj('v1.TypedLocalObjectReference', {
    apiGroup: str(),
    kind: str(),
    name: str(),
  }),
  dataSourceRef: obj('v1.TypedObjectReference', {
    apiGroup: str(),
    kind: str(),
    name: str(),
    namespace: str(),
  }),
  volumeAttributesClassName: str(),
});

/** The network and cloud block-device sources (first half of VolumeSource). */
const blockSources = {
  gcePersistentDisk: obj('v1.GCEPersistentDiskVolumeSource', {
    pdName: str(), fsType: str(), partition: int(), readOnly: bool(),
  }),
  awsElasticBlockStore: obj('v1.AWSElasticBlockStoreVolumeSource', {
    volumeID: str(), fsType: str(), partition: int(), readOnly: bool(),
  }),
  iscsi: obj('v1.ISCSIVolumeSource', {
    targetPortal: str(), iqn: str(), lun: int(), iscsiInterface: str(), fsType: str(),
    readOnly: bool(), portals: stringList(), chapAuthDiscovery: bool(),
    chapAuthSession: bool(), secretRef: localObjectReferenceSchema, initiatorName: str(),
  }),
  rbd: obj('v1.RBDVolumeSource', {
    monitors: stringList(), image: str(), fsType: str(), pool: str(), user: str(),
    keyring: str(), secretRef: localObjectReferenceSchema, readOnly: bool(),
  }),
  cinder: obj('v1.CinderVolumeSource', {
    volumeID: str(), fsType: str(), readOnly: bool(), secretRef: localObjectReferenceSchema,
  }),
  fc: obj('v1.FCVolumeSource', {
    targetWWNs: stringList(), lun: int(), fsType: str(), readOnly: bool(),
    wwids: stringList(),
  }),
  azureDisk: obj('v1.AzureDiskVolumeSource', {
    diskName: str(), diskURI: str(), cachingMode: str(), fsType: str(), readOnly: bool(),
    kind: str(),
  }),
  vsphereVolume: obj('v1.VsphereVirtualDiskVolumeSource', {
    volumePath: str(), fsType: str(), storagePolicyName: str(), storagePolicyID: str(),
  }),
  photonPersistentDisk: obj('v1.PhotonPersistentDiskVolumeSource', {
    pdID: str(), fsType: str(),
  }),
  portworxVolume: obj('v1.PortworxVolumeSource', {
    volumeID: str(), fsType: str(), readOnly: bool(),
  }),
  scaleIO: obj('v1.ScaleIOVolumeSource', {
    gateway: str(), system: str(), secretRef: localObjectReferenceSchema, sslEnabled: bool(),
    protectionDomain: str(), storagePool: str(), storageMode: str(), volumeName: str(),
    fsType: str(), readOnly: bool(),
  }),
} as const;

/** The file-system, driver and API-object sources (second half of VolumeSource). */
const fileSources = {
  nfs: obj('v1.NFSVolumeSource', { server: str(), path: str(), readOnly: bool() }),
  glusterfs: obj('v1.GlusterfsVolumeSource', {
    endpoints: str(), path: str(), readOnly: bool(),
  }),
  flexVolume: obj('v1.FlexVolumeSource', {
    driver: str(), fsType: str(), secretRef: localObjectReferenceSchema, readOnly: bool(),
    options: stringMap(),
  }),
  cephfs: obj('v1.CephFSVolumeSource', {
    monitors: stringList(), path: str(), user: str(), secretFile: str(),
    secretRef: localObjectReferenceSchema, readOnly: bool(),
  }),
  flocker: obj('v1.FlockerVolumeSource', { datasetName: str(), datasetUUID: str() }),
  azureFile: obj('v1.AzureFileVolumeSource', {
    secretName: str(), shareName: str(), readOnly: bool(),
  }),
  quobyte: obj('v1.QuobyteVolumeSource', {
    registry: str(), volume: str(), readOnly: bool(), user: str(), group: str(),
    tenant: str(),
  }),
  storageos: obj('v1.StorageOSVolumeSource', {
    volumeName: str(), volumeNamespace: str(), fsType: str(), readOnly: bool(),
    secretRef: localObjectReferenceSchema,
  }),
  csi: obj('v1.CSIVolumeSource', {
    driver: str(), readOnly: bool(), fsType: str(), volumeAttributes: map(str()),
    nodePublishSecretRef: localObjectReferenceSchema,
  }),
} as const;

/** The sources backed by the node or by API objects (the everyday ones). */
const localSources = {
  hostPath: obj('v1.HostPathVolumeSource', { path: str(), type: str() }),
  emptyDir: obj('v1.EmptyDirVolumeSource', { medium: str(), sizeLimit: quantity() }),
  gitRepo: obj('v1.GitRepoVolumeSource', {
    repository: str(), revision: str(), directory: str(),
  }),
  secret: obj('v1.SecretVolumeSource', {
    secretName: str(), items: atomicList(keyToPathSchema), defaultMode: int(),
    optional: bool(),
  }),
  persistentVolumeClaim: obj('v1.PersistentVolumeClaimVolumeSource', {
    claimName: str(), readOnly: bool(),
  }),
  downwardAPI: obj('v1.DownwardAPIVolumeSource', {
    items: atomicList(downwardAPIVolumeFileSchema), defaultMode: int(),
  }),
  configMap: obj('v1.ConfigMapVolumeSource', {
    name: str(), items: atomicList(keyToPathSchema), defaultMode: int(), optional: bool(),
  }),
  projected: obj('v1.ProjectedVolumeSource', {
    sources: atomicList(volumeProjectionSchema), defaultMode: int(),
  }),
  ephemeral: obj('v1.EphemeralVolumeSource', {
    volumeClaimTemplate: obj('v1.PersistentVolumeClaimTemplate', {
      metadata: objectMetaSchema,
      spec: persistentVolumeClaimSpecSchema,
    }),
  }),
  image: obj('v1.ImageVolumeSource', { reference: str(), pullPolicy: str() }),
} as const;

/** volumeSchema is v1.Volume: a name and exactly one VolumeSource (inlined). */
export const volumeSchema = obj('v1.Volume', {
  name: str(),
  ...localSources,
  ...blockSources,
  ...fileSources,
});
