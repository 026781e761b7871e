#!/usr/bin/env bash
# Seeds each target's corpus (fuzz/corpus/<target>/, not committed) with a few valid inputs from the repository, so
# the fuzzers start from the shapes the runtime really reads. Run from the repository root: `bash fuzz/seed.sh`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
seed() { mkdir -p "corpus/$1"; printf '%b' "$3" >"corpus/$1/$2"; }

seed metric_event plain '{"series":"service-1","timestamp":1700000000000,"value":101.5}'
seed metric_event labels '{"name":"http_requests","labels":{"pod":"a","code":"500"},"timestamp":"2024-01-02T03:04:05.678Z","value":3}'
seed json_log_record nested '{"kubernetes":{"message":"INFO user 42 logged in from 10.0.0.7"},"service":"auth"}'
seed json_log_record flat '{"message":"ERROR connection 9 reset by peer after 512 bytes"}'
mkdir -p corpus/raw_lines
head -c 4000 ../examples/data/app.log >corpus/raw_lines/app.log
# The ConfigMap the operator renders for an AnomalyDetector (its golden snapshot), and the bench's configuration.
mkdir -p corpus/runtime_config
python3 - <<'PY'
import json, re
snap = open("../operator/src/controllers/pipeline/snapshots/augur_operator__controllers__pipeline__tests__anomaly_detector_config_map.snap").read()
text = json.loads(re.search(r'runtime-config.yaml: (".*")', snap).group(1))
open("corpus/runtime_config/anomaly.yaml", "w").write(text)
PY
seed runtime_config logs 'apiVersion: runtime.augur.dev/v1\nkind: RuntimeConfig\nresource: {kind: LogClusterer, namespace: a, name: b}\nsource:\n  kafka:\n    connection:\n      bootstrapServers:\n        list: ["k:9092"]\n    topic: logs\n    consumerGroup: g\n    startFrom: Earliest\n    format: LogLines\nmodel:\n  logs: {builtinMasks: true, masks: [], delimiters: "", similarityThreshold: 0.5, depth: 4, maxTemplates: 100, emitAssignments: true}\noutput:\n  kafka:\n    connection:\n      bootstrapServers:\n        list: ["k:9092"]\n    topic: out\n  metrics: true\n  status: false\nstate:\n  checkpointInterval: 30s\n  store: none\nlimits: {maxSeries: 100}\n'
# Status 200 (little-endian) then a range-query answer; and a refusal.
seed promql_response matrix '\xc8\x00{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"up","job":"p"},"values":[[1700000000,"1"],[1700000015,"0.5"]]}]}}'
seed promql_response error '\x90\x01{"status":"error","errorType":"bad_data","error":"parse error"}'
seed checkpoint_envelope magic '\x00AUGURCP1\x07anomaly\x00\x00\x00\x00\x00\x00\x00\x00\x00'
# CSV the file source, `augur simulate` and the benchmarks read: a trace and a slice of the metrics sample.
mkdir -p corpus/csv_rows
cp ../examples/simulate/daily-load.csv corpus/csv_rows/trace.csv
head -c 3000 ../examples/data/service-metrics.csv >corpus/csv_rows/metrics.csv
