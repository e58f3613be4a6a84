{{/* Chart name, overridable. */}}
{{- define "azlb-cloud-controller.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Full name of the release's objects. */}}
{{- define "azlb-cloud-controller.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Labels selecting the release's pods. */}}
{{- define "azlb-cloud-controller.selectorLabels" -}}
app.kubernetes.io/name: {{ include "azlb-cloud-controller.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: cloud-controller-manager
{{- end -}}

{{/* Labels of every object. */}}
{{- define "azlb-cloud-controller.labels" -}}
{{ include "azlb-cloud-controller.selectorLabels" . }}
app.kubernetes.io/part-of: azlb
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "azlb-cloud-controller.serviceAccountName" -}}
{{- default (include "azlb-cloud-controller.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "azlb-cloud-controller.secretName" -}}
{{- default (printf "%s-cloud-config" (include "azlb-cloud-controller.fullname" .)) .Values.existingSecret -}}
{{- end -}}

{{- define "azlb-cloud-controller.leaseNamespace" -}}
{{- default .Release.Namespace .Values.leaderElection.namespace -}}
{{- end -}}

{{/* The path the azure-workload-identity webhook projects the service account token to. */}}
{{- define "azlb-cloud-controller.workloadIdentityTokenFile" -}}
/var/run/secrets/azure/tokens/azure-identity-token
{{- end -}}

{{/*
azure.json as JSON: cloudConfig, checked, with the workload identity fields merged in when enabled.
*/}}
{{- define "azlb-cloud-controller.cloudConfig" -}}
{{- $cfg := deepCopy (default dict .Values.cloudConfig) -}}
{{- if .Values.workloadIdentity.enabled -}}
{{- $_ := set $cfg "useFederatedWorkloadIdentityExtension" true -}}
{{- $_ := set $cfg "useManagedIdentityExtension" false -}}
{{- $_ := set $cfg "aadClientId" .Values.workloadIdentity.clientId -}}
{{- if .Values.workloadIdentity.tenantId -}}
{{- $_ := set $cfg "tenantId" .Values.workloadIdentity.tenantId -}}
{{- end -}}
{{- if not (get $cfg "aadFederatedTokenFile") -}}
{{- $_ := set $cfg "aadFederatedTokenFile" (include "azlb-cloud-controller.workloadIdentityTokenFile" .) -}}
{{- end -}}
{{- end -}}
{{- range $field := list "resourceGroup" "location" "vnetName" -}}
{{- if not (get $cfg $field) -}}
{{- fail (printf "cloudConfig.%s is required (or set existingSecret to a Secret with an azure.json key)" $field) -}}
{{- end -}}
{{- end -}}
{{- if and (not (get $cfg "subscriptionId")) (ne (lower (toString (get $cfg "cloud"))) "inmemoryfake") -}}
{{- fail "cloudConfig.subscriptionId is required (or set existingSecret to a Secret with an azure.json key)" -}}
{{- end -}}
{{- toPrettyJson $cfg -}}
{{- end -}}
