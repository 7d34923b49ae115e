{{/* Labels on every object. */}}
{{- define "platform.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: blueprint
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* eks.amazonaws.com/role-arn annotation block for an IRSA role; empty ARN renders nothing. Args: list root arn */}}
{{- define "platform.irsa" -}}
{{- $arn := index . 1 -}}
{{- if $arn }}
annotations:
  eks.amazonaws.com/role-arn: {{ $arn | quote }}
{{- end }}
{{- end -}}

{{/*
Pod memory request for a JVM of Spark size .memory ("512m", "4g"): the heap
plus Spark's default overhead, max(384Mi, 10%), in Mi.
*/}}
{{- define "platform.podMemory" -}}
{{- $n := regexFind "^[0-9]+" . | atoi -}}
{{- $mib := $n -}}
{{- if hasSuffix "g" . }}{{ $mib = mul $n 1024 }}{{ end -}}
{{- $overhead := max 384 (div $mib 10) -}}
{{- printf "%dMi" (add $mib $overhead) -}}
{{- end -}}
