{{- define "opscron.name" -}}{{ .Chart.Name }}{{- end -}}

{{- define "opscron.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}{{ .Release.Name | trunc 63 | trimSuffix "-" }}{{- else -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "opscron.labels" -}}
app.kubernetes.io/name: {{ include "opscron.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "opscron.selectorLabels" -}}
app.kubernetes.io/name: {{ include "opscron.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "opscron.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}{{ default (include "opscron.fullname" .) .Values.serviceAccount.name }}{{- else -}}{{ required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}{{- end -}}
{{- end -}}

{{/* The pod of one role (scheduler or worker): the same image, config, secrets and hardening. */}}
{{- define "opscron.pod" -}}
{{- $ := .root -}}
metadata:
  labels:
    {{- include "opscron.selectorLabels" $ | nindent 4 }}
    app.kubernetes.io/component: {{ .role }}
  annotations:
    checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") $ | sha256sum }}
spec:
  serviceAccountName: {{ include "opscron.serviceAccountName" $ }}
  terminationGracePeriodSeconds: {{ $.Values.terminationGracePeriodSeconds }}
  securityContext:
    {{- toYaml $.Values.podSecurityContext | nindent 4 }}
  containers:
    - name: opscron
      image: {{ printf "%s:%s" $.Values.image.repository (required "image.tag is required (a version, not latest)" $.Values.image.tag) | quote }}
      imagePullPolicy: {{ $.Values.image.pullPolicy }}
      args: [start, --role, {{ .role }}, --config, /etc/opscron/opscron.yaml]
      ports:
        - name: http
          containerPort: {{ $.Values.service.port }}
      env:
        - name: PORT
          value: {{ $.Values.service.port | quote }}
        {{- range $name, $ref := $.Values.secrets.keys }}
        - name: {{ $name }}
          valueFrom:
            secretKeyRef:
              name: {{ required "secrets.existingSecret is required" $.Values.secrets.existingSecret }}
              key: {{ $ref.key }}
              optional: {{ $ref.optional }}
        {{- end }}
        {{- with $.Values.objectStorage }}{{ if and .enabled .credentialsSecret.name }}
        {{- /* Keys from a Secret; without one the SDK uses the pod's identity (serviceAccount.annotations). */}}
        - name: AWS_ACCESS_KEY_ID
          valueFrom:
            secretKeyRef: { name: {{ .credentialsSecret.name }}, key: {{ .credentialsSecret.accessKeyIdKey }} }
        - name: AWS_SECRET_ACCESS_KEY
          valueFrom:
            secretKeyRef: { name: {{ .credentialsSecret.name }}, key: {{ .credentialsSecret.secretAccessKeyKey }} }
        {{- end }}{{ end }}
      readinessProbe:
        httpGet: { path: /ready, port: http }
        periodSeconds: 10
      livenessProbe:
        httpGet: { path: /health, port: http }
        periodSeconds: 15
        failureThreshold: 4
      resources:
        {{- toYaml $.Values.resources | nindent 8 }}
      securityContext:
        {{- toYaml $.Values.securityContext | nindent 8 }}
      volumeMounts:
        - { name: config, mountPath: /etc/opscron, readOnly: true }
        - { name: data, mountPath: /var/lib/opscron }
        - { name: tmp, mountPath: /tmp }
  volumes:
    - name: config
      configMap: { name: {{ include "opscron.fullname" $ }} }
    {{- /* With object storage nothing is shared between pods: reports and backups are in the
         bucket, the outbox in the database, scratch space per pod. */}}
    - name: data
      {{- if and $.Values.persistence.enabled (not $.Values.objectStorage.enabled) }}
      persistentVolumeClaim: { claimName: {{ include "opscron.fullname" $ }} }
      {{- else }}
      emptyDir: {}
      {{- end }}
    - name: tmp
      emptyDir: {}
{{- end -}}
