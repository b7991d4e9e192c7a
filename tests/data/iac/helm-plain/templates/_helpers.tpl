{{- define "operator.fullname" -}}
{{ .Release.Name }}-operator
{{- end }}
