{{/* Names, labels and images shared by the templates. */}}

{{/* The chart name, overridable. */}}
{{- define "augur.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The prefix of every object name: the release name, plus the chart name unless the release name contains it. */}}
{{- define "augur.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Name of the operator's objects. */}}
{{- define "augur.operator.fullname" -}}
{{- printf "%s-operator" (include "augur.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The labels that select the operator pods; never change them, a Deployment's selector is immutable. */}}
{{- define "augur.operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "augur.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{/* The labels on every object of the chart. */}}
{{- define "augur.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "augur.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: augur
{{- end }}

{{/* The labels of the operator's objects. */}}
{{- define "augur.operator.labels" -}}
{{ include "augur.labels" . }}
app.kubernetes.io/component: operator
{{- end }}

{{/* The operator's ServiceAccount name. */}}
{{- define "augur.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "augur.operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* An image reference from {repository, tag, digest}: the digest pins it when set; the tag defaults to appVersion. */}}
{{- define "augur.image" -}}
{{- $image := index . 0 }}
{{- $root := index . 1 }}
{{- $tag := default $root.Chart.AppVersion $image.tag }}
{{- if $image.digest }}
{{- printf "%s:%s@%s" $image.repository $tag $image.digest }}
{{- else }}
{{- printf "%s:%s" $image.repository $tag }}
{{- end }}
{{- end }}

{{/* Refuses combinations the schema cannot express. */}}
{{- define "augur.validate" -}}
{{- if and (gt (int .Values.operator.replicas) 1) (not .Values.operator.leaderElection.enabled) }}
{{- fail "operator.replicas > 1 requires operator.leaderElection.enabled: replicas without an election would reconcile against each other" }}
{{- end }}
{{- if and .Values.runtime.kafka.bootstrapServers .Values.runtime.kafka.bootstrapServersSecret.name }}
{{- fail "set runtime.kafka.bootstrapServers or runtime.kafka.bootstrapServersSecret.name, not both" }}
{{- end }}
{{- end }}
