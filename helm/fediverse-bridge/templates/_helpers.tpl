{{/*
Helpers of the fediverse-bridge chart. Helpers that need more than the root context take a dict:
"ctx" (the root context) and "component" (web, worker, embedded or migration).
*/}}

{{/* Chart name, cut to a DNS label. */}}
{{- define "fediverse-bridge.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Base name of every resource: the release name, followed by the chart name unless the release name
already contains it. Cut to 48 characters so that "-worker-metrics" still fits a DNS label.
*/}}
{{- define "fediverse-bridge.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 48 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 48 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 48 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The image tag: image.tag, else the chart's appVersion. */}}
{{- define "fediverse-bridge.imageTag" -}}
{{- .Values.image.tag | default .Chart.AppVersion | toString -}}
{{- end -}}

{{/* repository:tag, or repository:tag@digest when a digest pins the image. */}}
{{- define "fediverse-bridge.image" -}}
{{- $ref := printf "%s:%s" .Values.image.repository (include "fediverse-bridge.imageTag" .) -}}
{{- if .Values.image.digest -}}
{{- $ref = printf "%s@%s" $ref .Values.image.digest -}}
{{- end -}}
{{- $ref -}}
{{- end -}}

{{/* Labels that select a component's pods. Takes (dict "ctx" . "component" name). */}}
{{- define "fediverse-bridge.selectorLabels" -}}
app.kubernetes.io/name: {{ include "fediverse-bridge.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end -}}

{{/* Labels of every resource. Takes (dict "ctx" . "component" name); component may be empty. */}}
{{- define "fediverse-bridge.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "fediverse-bridge.selectorLabels" . }}
app.kubernetes.io/version: {{ include "fediverse-bridge.imageTag" .ctx | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/part-of: fediverse-bridge
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
{{- end -}}

{{/* Name of the ServiceAccount the pods run as. */}}
{{- define "fediverse-bridge.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "fediverse-bridge.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* PUBLIC_URL: publicUrl, or in embedded mode http://localhost:<port> for a port-forward. */}}
{{- define "fediverse-bridge.publicUrl" -}}
{{- if .Values.publicUrl -}}
{{- .Values.publicUrl -}}
{{- else if eq .Values.mode "embedded" -}}
{{- printf "http://localhost:%d" (int .Values.containerPorts.http) -}}
{{- else -}}
{{- required "publicUrl is required: the https origin the bridge is reached at (actor ids are built from it)" .Values.publicUrl -}}
{{- end -}}
{{- end -}}

{{/* Whether the chart creates the Secret: "true" or empty. */}}
{{- define "fediverse-bridge.createsSecret" -}}
{{- if and (not .Values.secrets.existingSecret) (include "fediverse-bridge.secretData" . | trim) -}}
true
{{- end -}}
{{- end -}}

{{/*
Checks across values that values.schema.json cannot express. Included by the ConfigMap, which
every mode renders, so a failed check stops the install.
*/}}
{{- define "fediverse-bridge.validate" -}}
{{- $s := .Values.secrets -}}
{{- $_ := include "fediverse-bridge.publicUrl" . -}}
{{- if eq .Values.mode "external" -}}
{{- if not $s.existingSecret -}}
{{- $_ = required "secrets.databaseUrl (or secrets.existingSecret) is required in external mode" $s.databaseUrl -}}
{{- $_ = required "secrets.secretKey (or secrets.existingSecret) is required in external mode: the master key of the actors' private keys" $s.secretKey -}}
{{- end -}}
{{- else -}}
{{- if $s.databaseUrl -}}
{{- fail "mode embedded runs its own Postgres: unset secrets.databaseUrl, or use mode external" -}}
{{- end -}}
{{- end -}}
{{- if and .Values.config.commentWebhookUrls (not $s.existingSecret) (not $s.commentWebhookSecret) -}}
{{- fail "config.commentWebhookUrls needs secrets.commentWebhookSecret (the key their JWS is signed with)" -}}
{{- end -}}
{{- if gt (int .Values.config.feeds.minIntervalSeconds) (int .Values.config.feeds.maxIntervalSeconds) -}}
{{- fail "config.feeds.minIntervalSeconds must not exceed config.feeds.maxIntervalSeconds" -}}
{{- end -}}
{{- end -}}

{{/*
Non-secret settings as KEY: "value" lines: the ConfigMap's data, and the migration Job's env (the
Job runs before the ConfigMap exists).
*/}}
{{- define "fediverse-bridge.configData" -}}
{{- $c := .Values.config -}}
PUBLIC_URL: {{ include "fediverse-bridge.publicUrl" . | quote }}
PORT: {{ .Values.containerPorts.http | int | quote }}
METRICS_PORT: {{ .Values.containerPorts.metrics | int | quote }}
LOG_LEVEL: {{ $c.logLevel | quote }}
LOG_FORMAT: {{ $c.logFormat | quote }}
QUEUE_PREFIX: {{ $c.queuePrefix | quote }}
HIDE_FOLLOWERS: {{ $c.hideFollowers | toString | quote }}
ALLOW_PRIVATE_ADDRESSES: {{ $c.allowPrivateAddresses | toString | quote }}
SHUTDOWN_TIMEOUT_MS: {{ $c.shutdownTimeoutMs | int | quote }}
FEED_MIN_INTERVAL_S: {{ $c.feeds.minIntervalSeconds | int | quote }}
FEED_MAX_INTERVAL_S: {{ $c.feeds.maxIntervalSeconds | int | quote }}
FEED_BACKFILL: {{ $c.feeds.backfill | int | quote }}
FEED_CONCURRENCY: {{ $c.feeds.concurrency | int | quote }}
DELIVERY_CONCURRENCY: {{ $c.delivery.concurrency | int | quote }}
DELIVERY_HOST_CONCURRENCY: {{ $c.delivery.hostConcurrency | int | quote }}
DELIVERY_RETRY_SCALE: {{ $c.delivery.retryScale | toString | quote }}
{{- with $c.kafka.brokers }}
KAFKA_BROKERS: {{ join "," . | quote }}
{{- end }}
KAFKA_TOPIC: {{ $c.kafka.topic | quote }}
KAFKA_DLQ_TOPIC: {{ $c.kafka.dlqTopic | quote }}
KAFKA_GROUP_ID: {{ $c.kafka.groupId | quote }}
KAFKA_CLIENT_ID: {{ $c.kafka.clientId | quote }}
KAFKA_COMMENTS_TOPIC: {{ $c.kafka.commentsTopic | quote }}
{{- with $c.commentWebhookUrls }}
COMMENT_WEBHOOK_URLS: {{ join "," . | quote }}
{{- end }}
{{- with $c.platformTagUrl }}
PLATFORM_TAG_URL: {{ . | quote }}
{{- end }}
{{- with $c.apiJwksUrl }}
API_JWKS_URL: {{ . | quote }}
{{- end }}
{{- end -}}

{{/*
Secret settings as KEY: base64 lines, only those with a value. Embedded mode never takes
DATABASE_URL: it runs its own database.
*/}}
{{- define "fediverse-bridge.secretData" -}}
{{- $s := .Values.secrets -}}
{{- $pairs := dict "SECRET_KEY" $s.secretKey "REDIS_URL" $s.redisUrl "API_JWT_SECRET" $s.apiJwtSecret "COMMENT_WEBHOOK_SECRET" $s.commentWebhookSecret -}}
{{- if eq .Values.mode "external" -}}
{{- $_ := set $pairs "DATABASE_URL" $s.databaseUrl -}}
{{- end -}}
{{- range $key, $value := $pairs }}
{{- if $value }}
{{ $key }}: {{ $value | b64enc | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
env entries for the secret settings, read from existingSecret or from the chart's Secret named
"secretName". Takes (dict "ctx" . "secretName" name). In external mode DATABASE_URL and
SECRET_KEY are required keys; everything else is optional.
*/}}
{{- define "fediverse-bridge.secretEnv" -}}
{{- $ctx := .ctx -}}
{{- $s := $ctx.Values.secrets -}}
{{- $external := eq $ctx.Values.mode "external" -}}
{{- $entries := list
  (dict "env" "DATABASE_URL" "key" "databaseUrl" "required" true "use" $external)
  (dict "env" "SECRET_KEY" "key" "secretKey" "required" $external "use" true)
  (dict "env" "REDIS_URL" "key" "redisUrl" "required" false "use" true)
  (dict "env" "API_JWT_SECRET" "key" "apiJwtSecret" "required" false "use" true)
  (dict "env" "COMMENT_WEBHOOK_SECRET" "key" "commentWebhookSecret" "required" false "use" true) -}}
{{- range $entries }}
{{- if .use }}
{{- if $s.existingSecret }}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ $s.existingSecret }}
      key: {{ index $s.existingSecretKeys .key }}
      {{- if not .required }}
      optional: true
      {{- end }}
{{- else if index $s .key }}
- name: {{ .env }}
  valueFrom:
    secretKeyRef:
      name: {{ $.secretName }}
      key: {{ .env }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The container securityContext. */}}
{{- define "fediverse-bridge.securityContext" -}}
{{- toYaml .Values.securityContext -}}
{{- end -}}

{{/* Pod-level fields every pod shares. */}}
{{- define "fediverse-bridge.podCommon" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
automountServiceAccountToken: false
enableServiceLinks: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end -}}

{{/*
A Deployment for one role. Takes (dict "ctx" . "component" web|worker|embedded); the component's
values are .Values.<component>.
*/}}
{{- define "fediverse-bridge.deployment" -}}
{{- $ctx := .ctx -}}
{{- $component := .component -}}
{{- $v := index $ctx.Values $component -}}
{{- $embedded := eq $component "embedded" -}}
{{- $role := ternary "all" $component $embedded -}}
{{- $probePort := ternary "metrics" "http" (eq $component "worker") -}}
{{- $fullname := include "fediverse-bridge.fullname" $ctx -}}
{{- $labels := dict "ctx" $ctx "component" $component -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ ternary $fullname (printf "%s-%s" $fullname $component) $embedded }}
  labels:
    {{- include "fediverse-bridge.labels" $labels | nindent 4 }}
spec:
  {{- if $embedded }}
  # The embedded database lives in this pod: exactly one, never two at once.
  replicas: 1
  strategy:
    type: Recreate
  {{- else if not $v.autoscaling.enabled }}
  replicas: {{ $v.replicaCount | int }}
  {{- end }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "fediverse-bridge.selectorLabels" $labels | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "fediverse-bridge.selectorLabels" $labels | nindent 8 }}
        {{- with $ctx.Values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        checksum/config: {{ include (print $ctx.Template.BasePath "/configmap.yaml") $ctx | sha256sum }}
        {{- if include "fediverse-bridge.createsSecret" $ctx }}
        checksum/secret: {{ include (print $ctx.Template.BasePath "/secret.yaml") $ctx | sha256sum }}
        {{- end }}
        {{- with (merge (dict) ($v.podAnnotations | default dict) $ctx.Values.podAnnotations) }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      {{- include "fediverse-bridge.podCommon" $ctx | trim | nindent 6 }}
      serviceAccountName: {{ include "fediverse-bridge.serviceAccountName" $ctx }}
      terminationGracePeriodSeconds: {{ $ctx.Values.terminationGracePeriodSeconds | int }}
      containers:
        - name: {{ ternary "bridge" $component $embedded }}
          image: {{ include "fediverse-bridge.image" $ctx | quote }}
          imagePullPolicy: {{ $ctx.Values.image.pullPolicy }}
          ports:
            {{- if ne $component "worker" }}
            - name: http
              containerPort: {{ $ctx.Values.containerPorts.http | int }}
              protocol: TCP
            {{- end }}
            {{- if not $embedded }}
            # web and worker serve /metrics here, apart from the port the Ingress reaches.
            - name: metrics
              containerPort: {{ $ctx.Values.containerPorts.metrics | int }}
              protocol: TCP
            {{- end }}
          envFrom:
            - configMapRef:
                name: {{ $fullname }}
          env:
            - name: ROLE
              value: {{ $role | quote }}
            {{- if $embedded }}
            # No migration Job can reach the pod's own database: it migrates at boot.
            - name: RUN_MIGRATIONS
              value: "true"
            - name: DATA_DIR
              value: /data
            {{- else }}
            # The migration Job (a pre-install/pre-upgrade hook) has migrated already.
            - name: RUN_MIGRATIONS
              value: "false"
            {{- end }}
            {{- with include "fediverse-bridge.secretEnv" (dict "ctx" $ctx "secretName" $fullname) | trim }}
            {{- . | nindent 12 }}
            {{- end }}
            {{- with $ctx.Values.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
            {{- with $v.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          startupProbe:
            httpGet:
              path: /health/live
              port: {{ $probePort }}
            periodSeconds: {{ $ctx.Values.probes.startup.periodSeconds | int }}
            timeoutSeconds: {{ $ctx.Values.probes.startup.timeoutSeconds | int }}
            failureThreshold: {{ $ctx.Values.probes.startup.failureThreshold | int }}
          livenessProbe:
            httpGet:
              path: /health/live
              port: {{ $probePort }}
            {{- with $ctx.Values.probes.liveness }}
            initialDelaySeconds: {{ .initialDelaySeconds | int }}
            periodSeconds: {{ .periodSeconds | int }}
            timeoutSeconds: {{ .timeoutSeconds | int }}
            failureThreshold: {{ .failureThreshold | int }}
            {{- end }}
          readinessProbe:
            httpGet:
              path: /health/ready
              port: {{ $probePort }}
            {{- with $ctx.Values.probes.readiness }}
            initialDelaySeconds: {{ .initialDelaySeconds | int }}
            periodSeconds: {{ .periodSeconds | int }}
            timeoutSeconds: {{ .timeoutSeconds | int }}
            failureThreshold: {{ .failureThreshold | int }}
            {{- end }}
          {{- with $v.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          securityContext:
            {{- include "fediverse-bridge.securityContext" $ctx | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
            {{- if $embedded }}
            - name: data
              mountPath: /data
            {{- end }}
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: {{ $ctx.Values.tmpSizeLimit }}
        {{- if $embedded }}
        # Embedded mode only: the database and the generated SECRET_KEY go with the pod.
        - name: data
          emptyDir:
            sizeLimit: {{ $v.dataSizeLimit }}
        {{- end }}
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.topologySpreadConstraints }}
      topologySpreadConstraints:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end -}}
