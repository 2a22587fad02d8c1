/**
 * Real manifests of the served kinds, as users and controllers write them (every commonly
 * used field set), for the schema tests. Each parses to a plain JSON object.
 */
import { parse } from 'yaml';

const deployment = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
  labels: {app: web}
  annotations: {deployment.kubernetes.io/revision: "3"}
  ownerReferences: [{apiVersion: v1, kind: Foo, name: f, uid: u1, controller: true, blockOwnerDeletion: true}]
  finalizers: [example.com/guard]
  managedFields:
  - manager: kubectl-client-side-apply
    operation: Update
    apiVersion: apps/v1
    time: "2025-01-01T00:00:00Z"
    fieldsType: FieldsV1
    fieldsV1: {"f:metadata": {"f:labels": {".": {}, "f:app": {}}}}
spec:
  replicas: 3
  revisionHistoryLimit: 10
  progressDeadlineSeconds: 600
  minReadySeconds: 5
  paused: false
  selector:
    matchLabels: {app: web}
    matchExpressions: [{key: tier, operator: In, values: [front]}]
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 25%, maxUnavailable: 1}
  template:
    metadata:
      labels: {app: web, tier: front}
      annotations: {kubectl.kubernetes.io/restartedAt: "2025-01-01T00:00:00Z"}
    spec:
      serviceAccountName: web
      automountServiceAccountToken: false
      terminationGracePeriodSeconds: 30
      dnsPolicy: ClusterFirst
      restartPolicy: Always
      schedulerName: default-scheduler
      priorityClassName: high
      nodeSelector: {kubernetes.io/os: linux}
      imagePullSecrets: [{name: regcred}]
      hostAliases: [{ip: 10.0.0.1, hostnames: [db.local]}]
      dnsConfig:
        nameservers: [1.1.1.1]
        searches: [svc.cluster.local]
        options: [{name: ndots, value: "2"}]
      securityContext:
        runAsUser: 1000
        runAsGroup: 3000
        fsGroup: 2000
        runAsNonRoot: true
        supplementalGroups: [4000]
        seccompProfile: {type: RuntimeDefault}
        sysctls: [{name: net.core.somaxconn, value: "1024"}]
      tolerations:
      - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 300}
      topologySpreadConstraints:
      - maxSkew: 1
        topologyKey: topology.kubernetes.io/zone
        whenUnsatisfiable: ScheduleAnyway
        labelSelector: {matchLabels: {app: web}}
        matchLabelKeys: [pod-template-hash]
      readinessGates: [{conditionType: example.com/ready}]
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
            - matchExpressions: [{key: kubernetes.io/arch, operator: In, values: [amd64]}]
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 10
            preference:
              matchFields: [{key: metadata.name, operator: NotIn, values: [n1]}]
        podAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
          - weight: 50
            podAffinityTerm:
              labelSelector: {matchLabels: {app: cache}}
              topologyKey: kubernetes.io/hostname
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
          - labelSelector: {matchExpressions: [{key: app, operator: In, values: [web]}]}
            topologyKey: kubernetes.io/hostname
            namespaceSelector: {}
      initContainers:
      - name: migrate
        image: busybox:1.36
        command: [sh, -c]
        args: [echo migrate]
        restartPolicy: Always
      containers:
      - name: web
        image: nginx:1.27
        imagePullPolicy: IfNotPresent
        workingDir: /srv
        ports: [{name: http, containerPort: 80, protocol: TCP}]
        env:
        - {name: MODE, value: prod}
        - name: POD_NAME
          valueFrom: {fieldRef: {apiVersion: v1, fieldPath: metadata.name}}
        - name: CPU_LIMIT
          valueFrom: {resourceFieldRef: {containerName: web, resource: limits.cpu, divisor: 1m}}
        - name: PASSWORD
          valueFrom: {secretKeyRef: {name: db, key: password, optional: false}}
        - name: COLOR
          valueFrom: {configMapKeyRef: {name: settings, key: color}}
        envFrom:
        - configMapRef: {name: settings}
          prefix: CFG_
        - secretRef: {name: db, optional: true}
        resources:
          requests: {cpu: 100m, memory: 128Mi}
          limits: {cpu: 1, memory: 1Gi, nvidia.com/gpu: "1"}
        livenessProbe:
          httpGet:
            path: /healthz
            port: http
            scheme: HTTP
            httpHeaders: [{name: X-Probe, value: "1"}]
          initialDelaySeconds: 10
          periodSeconds: 10
          timeoutSeconds: 1
          successThreshold: 1
          failureThreshold: 3
        readinessProbe:
          tcpSocket: {port: 80}
        startupProbe:
          exec: {command: [cat, /tmp/ready]}
          failureThreshold: 30
        lifecycle:
          preStop: {exec: {command: [sleep, "5"]}}
          postStart: {httpGet: {path: /warm, port: 80}}
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}
        volumeMounts:
        - {name: data, mountPath: /data}
        - {name: config, mountPath: /etc/web, readOnly: true, subPath: web.conf}
        terminationMessagePath: /dev/termination-log
        terminationMessagePolicy: File
      - name: sidecar
        image: envoy:1.30
        readinessProbe:
          grpc: {port: 9901, service: health}
      volumes:
      - name: data
        emptyDir: {medium: Memory, sizeLimit: 1Gi}
      - name: config
        configMap:
          name: web-config
          defaultMode: 420
          items: [{key: web.conf, path: web.conf}]
      - name: creds
        secret: {secretName: db, optional: true}
      - name: host
        hostPath: {path: /var/log, type: Directory}
      - name: claim
        persistentVolumeClaim: {claimName: web-data}
      - name: token
        projected:
          sources:
          - serviceAccountToken: {path: token, expirationSeconds: 3600, audience: api}
          - configMap: {name: kube-root-ca.crt, items: [{key: ca.crt, path: ca.crt}]}
          - downwardAPI:
              items: [{path: namespace, fieldRef: {fieldPath: metadata.namespace}}]
      - name: scratch
        ephemeral:
          volumeClaimTemplate:
            metadata: {labels: {type: scratch}}
            spec:
              accessModes: [ReadWriteOnce]
              storageClassName: fast
              resources: {requests: {storage: 1Gi}}
status:
  observedGeneration: 4
  replicas: 3
  updatedReplicas: 3
  readyReplicas: 3
  availableReplicas: 3
  conditions:
  - type: Available
    status: "True"
    lastUpdateTime: "2025-01-01T00:00:00Z"
    lastTransitionTime: "2025-01-01T00:00:00Z"
    reason: MinimumReplicasAvailable
    message: Deployment has minimum availability.
`;

const pod = `
apiVersion: v1
kind: Pod
metadata:
  name: web-5d7c-abcde
  generateName: web-5d7c-
  namespace: default
  uid: 0b6c3e2a-1111-2222-3333-444455556666
  resourceVersion: "812"
  creationTimestamp: "2025-01-01T00:00:00Z"
  labels: {app: web, pod-template-hash: 5d7c}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d7c, uid: rs1, controller: true}]
spec:
  nodeName: node-1
  containers:
  - name: web
    image: nginx:1.27
    resources: {requests: {cpu: 100m}}
  ephemeralContainers:
  - name: debugger
    image: busybox
    targetContainerName: web
    stdin: true
    tty: true
  schedulingGates: [{name: example.com/gate}]
  os: {name: linux}
  enableServiceLinks: true
  preemptionPolicy: PreemptLowerPriority
  priority: 0
status:
  phase: Running
  qosClass: Burstable
  hostIP: 10.0.0.5
  hostIPs: [{ip: 10.0.0.5}]
  podIP: 10.244.1.7
  podIPs: [{ip: 10.244.1.7}]
  startTime: "2025-01-01T00:00:01Z"
  conditions:
  - {type: Ready, status: "True", lastProbeTime: null, lastTransitionTime: "2025-01-01T00:00:05Z"}
  containerStatuses:
  - name: web
    ready: true
    started: true
    restartCount: 1
    image: docker.io/library/nginx:1.27
    imageID: docker.io/library/nginx@sha256:abc
    containerID: containerd://abc
    state: {running: {startedAt: "2025-01-01T00:00:04Z"}}
    lastState:
      terminated: {exitCode: 137, reason: OOMKilled, startedAt: "2025-01-01T00:00:02Z", finishedAt: "2025-01-01T00:00:03Z", containerID: containerd://old}
`;

const service = `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default, labels: {app: web}}
spec:
  type: LoadBalancer
  selector: {app: web}
  clusterIP: 10.96.0.10
  clusterIPs: [10.96.0.10]
  ipFamilies: [IPv4]
  ipFamilyPolicy: SingleStack
  sessionAffinity: ClientIP
  sessionAffinityConfig: {clientIP: {timeoutSeconds: 10800}}
  externalTrafficPolicy: Local
  internalTrafficPolicy: Cluster
  healthCheckNodePort: 32000
  allocateLoadBalancerNodePorts: true
  ports:
  - {name: http, protocol: TCP, port: 80, targetPort: http, nodePort: 30080, appProtocol: http}
  - {name: https, port: 443, targetPort: 8443}
status:
  loadBalancer:
    ingress: [{ip: 192.0.2.10, ipMode: VIP, ports: [{port: 80, protocol: TCP}]}]
  conditions:
  - {type: Ready, status: "True", observedGeneration: 1, lastTransitionTime: "2025-01-01T00:00:00Z", reason: Ok, message: ok}
`;

const namespace = `
apiVersion: v1
kind: Namespace
metadata: {name: team-a, labels: {kubernetes.io/metadata.name: team-a}}
spec: {finalizers: [kubernetes]}
status:
  phase: Active
  conditions: [{type: NamespaceDeletionDiscoveryFailure, status: "False", reason: ResourcesDiscovered, message: ok, lastTransitionTime: "2025-01-01T00:00:00Z"}]
`;

const configMap = `
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: default}
immutable: false
data: {color: blue, web.conf: "listen 80;"}
binaryData: {logo.png: iVBORw0KGgo=}
`;

const secret = `
apiVersion: v1
kind: Secret
metadata: {name: db, namespace: default}
type: Opaque
immutable: true
data: {password: c2VjcmV0}
stringData: {user: admin}
`;

const hpa = `
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: default}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 10
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}
  - type: ContainerResource
    containerResource: {name: memory, container: web, target: {type: AverageValue, averageValue: 500Mi}}
  - type: Pods
    pods:
      metric: {name: requests_per_second, selector: {matchLabels: {verb: GET}}}
      target: {type: AverageValue, averageValue: "1k"}
  - type: Object
    object:
      describedObject: {apiVersion: networking.k8s.io/v1, kind: Ingress, name: main}
      metric: {name: hits}
      target: {type: Value, value: "10k"}
  - type: External
    external: {metric: {name: queue_depth}, target: {type: Value, value: 30}}
  behavior:
    scaleDown:
      stabilizationWindowSeconds: 300
      selectPolicy: Min
      policies: [{type: Percent, value: 10, periodSeconds: 60}]
    scaleUp:
      policies: [{type: Pods, value: 4, periodSeconds: 15}]
status:
  observedGeneration: 1
  lastScaleTime: "2025-01-01T00:00:00Z"
  currentReplicas: 2
  desiredReplicas: 3
  currentMetrics:
  - type: Resource
    resource: {name: cpu, current: {averageUtilization: 75, averageValue: 150m}}
  conditions:
  - {type: AbleToScale, status: "True", reason: ReadyForNewScale, lastTransitionTime: "2025-01-01T00:00:00Z"}
`;

const lease = `
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: node-1, namespace: kube-node-lease}
spec:
  holderIdentity: node-1
  leaseDurationSeconds: 40
  acquireTime: "2025-01-01T00:00:00.000000Z"
  renewTime: "2025-01-01T00:00:10.123456Z"
  leaseTransitions: 2
`;

const event = `
apiVersion: v1
kind: Event
metadata: {name: web.17a, namespace: default}
involvedObject: {kind: Pod, namespace: default, name: web-5d7c-abcde, uid: p1, apiVersion: v1, resourceVersion: "800", fieldPath: "spec.containers{web}"}
reason: Pulled
message: Successfully pulled image "nginx:1.27"
source: {component: kubelet, host: node-1}
firstTimestamp: "2025-01-01T00:00:00Z"
lastTimestamp: "2025-01-01T00:00:09Z"
count: 3
type: Normal
eventTime: null
reportingComponent: kubelet
reportingInstance: node-1
series: {count: 2, lastObservedTime: "2025-01-01T00:00:09.000000Z"}
related: {kind: Node, name: node-1}
action: Pull
`;

const node = `
apiVersion: v1
kind: Node
metadata: {name: node-1, labels: {kubernetes.io/hostname: node-1}}
spec:
  podCIDR: 10.244.1.0/24
  podCIDRs: [10.244.1.0/24]
  providerID: coracle://node-1
  unschedulable: true
  taints: [{key: node.kubernetes.io/unschedulable, effect: NoSchedule, timeAdded: "2025-01-01T00:00:00Z"}]
status:
  capacity: {cpu: "4", memory: 16Gi, pods: "110", ephemeral-storage: 100Gi}
  allocatable: {cpu: 3800m, memory: 15Gi, pods: "110"}
  conditions:
  - {type: Ready, status: "True", lastHeartbeatTime: "2025-01-01T00:00:00Z", lastTransitionTime: "2025-01-01T00:00:00Z", reason: KubeletReady, message: kubelet is posting ready status}
  - {type: MemoryPressure, status: "False", reason: KubeletHasSufficientMemory}
  addresses: [{type: InternalIP, address: 10.0.0.5}, {type: Hostname, address: node-1}]
  daemonEndpoints: {kubeletEndpoint: {Port: 10250}}
  nodeInfo:
    machineID: m
    systemUUID: s
    bootID: b
    kernelVersion: 6.1.0
    osImage: Debian GNU/Linux 12
    containerRuntimeVersion: containerd://1.7.0
    kubeletVersion: v1.32.0
    kubeProxyVersion: v1.32.0
    operatingSystem: linux
    architecture: amd64
  images: [{names: [nginx:1.27], sizeBytes: 70000000}]
  volumesInUse: [kubernetes.io/csi/vol-1]
  volumesAttached: [{name: kubernetes.io/csi/vol-1, devicePath: /dev/sdb}]
  runtimeHandlers: [{name: runc, features: {recursiveReadOnlyMounts: true, userNamespaces: false}}]
  features: {supplementalGroupsPolicy: true}
`;

const extras = {
  Endpoints: `
apiVersion: v1
kind: Endpoints
metadata: {name: web, namespace: default}
subsets:
- addresses: [{ip: 10.244.1.7, nodeName: node-1, targetRef: {kind: Pod, name: web-1, namespace: default, uid: p1}}]
  notReadyAddresses: [{ip: 10.244.1.8, hostname: web-2}]
  ports: [{name: http, port: 80, protocol: TCP, appProtocol: http}]
`,
  ServiceAccount: `
apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: default}
secrets: [{name: web-token}]
imagePullSecrets: [{name: regcred}]
automountServiceAccountToken: false
`,
  ReplicationController: `
apiVersion: v1
kind: ReplicationController
metadata: {name: legacy}
spec:
  replicas: 2
  selector: {app: legacy}
  template:
    metadata: {labels: {app: legacy}}
    spec: {containers: [{name: c, image: busybox}]}
status: {replicas: 2, readyReplicas: 2, observedGeneration: 1, fullyLabeledReplicas: 2, availableReplicas: 2}
`,
  ReplicaSet: `
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web-5d7c, annotations: {deployment.kubernetes.io/revision: "1"}}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: nginx}]}}
status: {replicas: 3, availableReplicas: 3, conditions: [{type: ReplicaFailure, status: "False"}]}
`,
  Scale: `
apiVersion: autoscaling/v1
kind: Scale
metadata: {name: web, namespace: default, resourceVersion: "9"}
spec: {replicas: 5}
status: {replicas: 3, selector: app=web}
`,
  Binding: `
apiVersion: v1
kind: Binding
metadata: {name: web-1, namespace: default}
target: {apiVersion: v1, kind: Node, name: node-1}
`,
  Eviction: `
apiVersion: policy/v1
kind: Eviction
metadata: {name: web-1, namespace: default}
deleteOptions: {gracePeriodSeconds: 30, preconditions: {uid: p1}, propagationPolicy: Background, dryRun: [All]}
`,
  DeleteOptions: `
kind: DeleteOptions
apiVersion: meta.k8s.io/v1
gracePeriodSeconds: 0
orphanDependents: false
propagationPolicy: Foreground
preconditions: {resourceVersion: "12"}
`,
} as const;

/** manifests maps each kind to a realistic manifest of it (YAML source). */
export const manifests: Readonly<Record<string, string>> = {
  Deployment: deployment,
  Pod: pod,
  Service: service,
  Namespace: namespace,
  ConfigMap: configMap,
  Secret: secret,
  HorizontalPodAutoscaler: hpa,
  Lease: lease,
  Event: event,
  Node: node,
  ...extras,
};

/** manifest parses the manifest of `kind` into a fresh JSON object. */
export function manifest(kind: string): Record<string, unknown> {
  const source = manifests[kind];
  if (source === undefined) throw new Error(`no manifest for ${kind}`);
  return parse(source) as Record<string, unknown>;
}
