#!/usr/bin/env bash
# Spark GPU discovery script for YARN (spark.{driver,executor}.resource.gpu.discoveryScript): YARN isolates the GPUs
# of a container but does not tell Spark their addresses, so this prints the GPUs visible in the container as the
# ResourceInformation JSON Spark expects: {"name": "gpu", "addresses": ["0", "1"]}.
# Installed on every node as /usr/local/bin/tracedistill-gpu-discovery.sh by install-gpu-discovery.sh (bootstrap).
set -euo pipefail
ids=$(nvidia-smi --query-gpu=index --format=csv,noheader | tr -d ' ' | paste -sd, -)
printf '{"name": "gpu", "addresses": [%s]}\n' "$(printf '%s' "$ids" | sed -E 's/([^,]+)/"\1"/g')"
