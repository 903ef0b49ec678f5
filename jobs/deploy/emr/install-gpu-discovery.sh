#!/usr/bin/env bash
# EMR bootstrap action: puts gpu-discovery.sh where steps.json's discoveryScript settings expect it.
#   --bootstrap-actions Path=s3://YOUR-BUCKET/tracedistill/emr/install-gpu-discovery.sh,Args=[s3://YOUR-BUCKET/tracedistill/emr/gpu-discovery.sh]
set -euo pipefail
aws s3 cp "${1:?the S3 URI of gpu-discovery.sh}" /tmp/tracedistill-gpu-discovery.sh
sudo install -m 0755 /tmp/tracedistill-gpu-discovery.sh /usr/local/bin/tracedistill-gpu-discovery.sh
